//! MediaConvert backend (placeholder until the backend lands).

use crate::{Error, Handler};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_media::{EncodeJob, Encoded, MediaError};
use reelcart_ports::MediaRecords;

#[derive(Debug)]
pub struct MediaConvert;

impl MediaConvert {
    pub fn from_aws<F: Fn(&str) -> Option<String>>(
        _v: &Vars<F>,
        _sdk: &reelcart_aws::SdkConfig,
        _media_bucket: &str,
    ) -> Result<Self, ConfigError> {
        Err(ConfigError::Invalid {
            name: "ENCODER",
            reason: "mediaconvert is not built yet".into(),
        })
    }

    pub async fn encode(&self, _job: &EncodeJob<'_>) -> Result<Encoded, MediaError> {
        Err(MediaError::Transient(
            "mediaconvert is not built yet".into(),
        ))
    }
}

pub async fn finish_job<R: MediaRecords>(
    _h: &Handler<R>,
    _event: &serde_json::Value,
) -> Result<(), Error> {
    Err(Error::Malformed("not a MediaConvert job event".into()))
}
