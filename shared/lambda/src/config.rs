//! Configuration read once at init from a variable lookup: the process environment in Lambda,
//! the template's resolved variables in the local stack.

/// A missing or invalid setting. `main` fails at init with it, never a request.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required setting {0}")]
    Missing(&'static str),
    #[error("setting {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Reads settings by name.
pub struct Vars<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> std::fmt::Debug for Vars<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vars(..)")
    }
}

/// The process environment.
pub fn env() -> Vars<impl Fn(&str) -> Option<String>> {
    Vars(|name: &str| std::env::var(name).ok())
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    pub fn parse_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            }),
        }
    }

    pub fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self
            .optional(name)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false" | "0" | "no") => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some(other) => Err(ConfigError::Invalid {
                name,
                reason: format!("`{other}` is not true/false"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parses_and_names_what_is_wrong() {
        let v = Vars(|k: &str| match k {
            "A" => Some("x".into()),
            "N" => Some("12".into()),
            "BAD" => Some("twelve".into()),
            "EMPTY" => Some(" ".into()),
            "F" => Some("TRUE".into()),
            _ => None,
        });
        assert_eq!(v.required("A").unwrap(), "x");
        assert!(matches!(
            v.required("EMPTY"),
            Err(ConfigError::Missing("EMPTY"))
        ));
        assert_eq!(v.parse_or("N", 1u32).unwrap(), 12);
        assert_eq!(v.parse_or("NONE", 7u32).unwrap(), 7);
        assert!(
            v.parse_or("BAD", 1u32)
                .unwrap_err()
                .to_string()
                .contains("BAD")
        );
        assert!(v.flag("F").unwrap());
        assert!(!v.flag("NONE").unwrap());
        assert!(v.flag("A").is_err());
    }
}
