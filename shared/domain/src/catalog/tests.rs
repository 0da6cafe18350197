//! Projection and validation per channel (one broken product per rule, each with its reason), and
//! the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::diff::{Action, Hashes, Now, plan};
use super::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

fn money(s: &str) -> Money {
    Money {
        amount: Decimal::from_str(s).unwrap(),
        currency: "USD".into(),
    }
}

fn image(px: u32) -> Image {
    Image {
        url: format!("https://cdn.example.com/{px}.jpg"),
        width: px,
        height: px,
    }
}

/// A product valid on both channels.
pub fn good() -> Product {
    Product {
        id: "p1".into(),
        title: "Organic cotton crew-neck tee".into(),
        description: "Heavyweight organic cotton, garment dyed.".into(),
        brand: Some("Acme".into()),
        link: "https://shop.example.com/products/tee".into(),
        images: vec![image(1000), image(800)],
        variants: vec![
            Variant {
                id: "v1".into(),
                sku: "TEE-BLK-M".into(),
                options: vec![OptionValue {
                    name: "Size".into(),
                    value: "M".into(),
                }],
                price: money("29.9"),
                unit_cost: None,
                compare_at_price: None,
                inventory: 12,
                continue_selling: false,
                gtin: Some("6291041500213".into()),
                mpn: None,
                image: None,
                weight: Some(Weight {
                    value: Decimal::from_str("0.25").unwrap(),
                    unit: "KILOGRAM".into(),
                }),
            },
            Variant {
                id: "v2".into(),
                sku: "TEE-BLK-L".into(),
                options: vec![OptionValue {
                    name: "Size".into(),
                    value: "L".into(),
                }],
                price: money("29.90"),
                unit_cost: None,
                compare_at_price: None,
                inventory: 0,
                continue_selling: false,
                gtin: None,
                mpn: Some("TEE-L-01".into()),
                image: None,
                weight: Some(Weight {
                    value: Decimal::from_str("0.3").unwrap(),
                    unit: "KILOGRAM".into(),
                }),
            },
        ],
        status: ProductStatus::Active,
        tiktok_category_id: Some("601226".into()),
        updated_at: 0,
    }
}

fn rules(region: &str) -> tiktok::Rules {
    tiktok::Rules {
        region: region.into(),
        warehouse_id: "WH1".into(),
    }
}

fn meta_codes(p: &Product) -> Vec<(String, String)> {
    meta::project(p)
        .into_iter()
        .flat_map(|(_, r)| r.err().unwrap_or_default())
        .map(|pr| (pr.field, pr.code))
        .collect()
}

fn tiktok_codes(p: &Product, region: &str) -> Vec<(String, String)> {
    tiktok::project(p, &rules(region))
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|pr| (pr.field, pr.code))
        .collect()
}

/// A field, the code it must get, and how to break a good product that way.
type Case = (&'static str, &'static str, Box<dyn Fn(&mut Product)>);

fn has(codes: &[(String, String)], field: &str, code: &str) -> bool {
    codes.iter().any(|(f, c)| f == field && c == code)
}

#[test]
fn a_good_product_projects_onto_both_channels() {
    let p = good();
    let items = meta::project(&p);
    assert_eq!(items.len(), 2);
    let m = items[0].1.as_ref().unwrap();
    assert_eq!(m.id, "TEE-BLK-M");
    assert_eq!(m.item_group_id, "p1");
    assert_eq!(m.price, "29.90 USD");
    assert_eq!(m.availability, "in stock");
    assert_eq!(m.title, "Organic cotton crew-neck tee - M");
    assert_eq!(m.additional_image_link, ["https://cdn.example.com/800.jpg"]);
    let l = items[1].1.as_ref().unwrap();
    assert_eq!(l.availability, "out of stock");
    assert_eq!(l.mpn.as_deref(), Some("TEE-L-01"));

    let t = tiktok::project(&p, &rules("US")).unwrap();
    assert_eq!(t.content.package_weight.value, "0.3");
    assert_eq!(t.prices["TEE-BLK-M"].amount, "29.90");
    assert_eq!(t.inventory["TEE-BLK-L"], 0);
    assert_eq!(t.content.skus[0].sales_attributes[0].value_name, "M");
}

#[test]
fn every_meta_rule_quarantines_with_its_reason() {
    let cases: Vec<Case> = vec![
        (
            "id",
            "missing",
            Box::new(|p| p.variants[0].sku = String::new()),
        ),
        (
            "id",
            "too_long",
            Box::new(|p| p.variants[0].sku = "S".repeat(101)),
        ),
        ("title", "missing", Box::new(|p| p.title = " ".into())),
        ("title", "too_long", Box::new(|p| p.title = "T".repeat(201))),
        (
            "description",
            "missing",
            Box::new(|p| p.description = String::new()),
        ),
        (
            "description",
            "too_long",
            Box::new(|p| p.description = "d".repeat(10_000)),
        ),
        (
            "price",
            "not_positive",
            Box::new(|p| p.variants[0].price = money("0")),
        ),
        (
            "price",
            "currency",
            Box::new(|p| p.variants[0].price.currency = "usd".into()),
        ),
        (
            "link",
            "not_a_url",
            Box::new(|p| p.link = "/products/tee".into()),
        ),
        ("image_link", "missing", Box::new(|p| p.images.clear())),
        (
            "image_link",
            "not_a_url",
            Box::new(|p| p.images[0].url = "cdn/x.jpg".into()),
        ),
        (
            "image_link",
            "image_too_small",
            Box::new(|p| p.images[0] = image(499)),
        ),
        (
            "gtin",
            "gtin_check_digit",
            Box::new(|p| p.variants[0].gtin = Some("6291041500214".into())),
        ),
        (
            "gtin",
            "gtin_length",
            Box::new(|p| p.variants[0].gtin = Some("12345".into())),
        ),
        (
            "gtin",
            "gtin_not_digits",
            Box::new(|p| p.variants[0].gtin = Some("62910415002x3".into())),
        ),
        ("gtin", "identifier_missing", Box::new(|p| p.brand = None)), // variant 2: MPN without brand
    ];
    for (field, code, break_it) in cases {
        let mut p = good();
        break_it(&mut p);
        let codes = meta_codes(&p);
        assert!(has(&codes, field, code), "{field}/{code}: got {codes:?}");
    }
}

#[test]
fn every_tiktok_rule_quarantines_with_its_reason() {
    let cases: Vec<Case> = vec![
        ("title", "length", Box::new(|p| p.title = "T".repeat(256))),
        (
            "description",
            "missing",
            Box::new(|p| p.description = String::new()),
        ),
        (
            "category_id",
            "missing",
            Box::new(|p| p.tiktok_category_id = None),
        ),
        ("main_images", "missing", Box::new(|p| p.images.clear())),
        (
            "main_images[0]",
            "image_size",
            Box::new(|p| p.images[0] = image(299)),
        ),
        (
            "main_images[0]",
            "image_size",
            Box::new(|p| p.images[0] = image(4001)),
        ),
        (
            "main_images[0]",
            "not_a_url",
            Box::new(|p| p.images[0].url = "x".into()),
        ),
        (
            "package_weight",
            "missing",
            Box::new(|p| p.variants.iter_mut().for_each(|v| v.weight = None)),
        ),
        ("skus", "missing", Box::new(|p| p.variants.clear())),
        (
            "skus",
            "too_many",
            Box::new(|p| {
                let v = p.variants[0].clone();
                p.variants = (0..301)
                    .map(|i| Variant {
                        sku: format!("S{i}"),
                        ..v.clone()
                    })
                    .collect();
            }),
        ),
        (
            "skus.sales_attributes",
            "too_many",
            Box::new(|p| {
                for (i, n) in ["Color", "Fit", "Length"].into_iter().enumerate() {
                    p.variants[0].options.push(OptionValue {
                        name: n.into(),
                        value: format!("{i}"),
                    });
                }
            }),
        ),
        (
            "skus[0].seller_sku",
            "missing",
            Box::new(|p| p.variants[0].sku = String::new()),
        ),
        (
            "skus[0].seller_sku",
            "too_long",
            Box::new(|p| p.variants[0].sku = "S".repeat(51)),
        ),
        (
            "skus[0].seller_sku",
            "whitespace",
            Box::new(|p| p.variants[0].sku = "TEE BLK M".into()),
        ),
        (
            "skus[1].seller_sku",
            "duplicate",
            Box::new(|p| p.variants[1].sku = "TEE-BLK-M".into()),
        ),
        (
            "skus[0].price",
            "not_positive",
            Box::new(|p| p.variants[0].price = money("-1")),
        ),
        (
            "skus[0].gtin",
            "gtin_check_digit",
            Box::new(|p| p.variants[0].gtin = Some("6291041500214".into())),
        ),
    ];
    for (field, code, break_it) in cases {
        let mut p = good();
        break_it(&mut p);
        let codes = tiktok_codes(&p, "US");
        assert!(has(&codes, field, code), "{field}/{code}: got {codes:?}");
    }
}

#[test]
fn tiktok_title_length_depends_on_the_region() {
    let mut p = good();
    p.title = "Short tee".into(); // 9 characters
    assert!(tiktok::project(&p, &rules("US")).is_ok());
    assert!(tiktok::project(&p, &rules("UK")).is_ok());
    let codes = tiktok_codes(&p, "ID");
    assert!(has(&codes, "title", "length"), "{codes:?}");
}

#[test]
fn hashes_separate_price_and_stock_from_content_on_tiktok() {
    let base = tiktok::hashes(&tiktok::project(&good(), &rules("US")).unwrap());
    let with = |f: &dyn Fn(&mut Product)| {
        let mut p = good();
        f(&mut p);
        tiktok::hashes(&tiktok::project(&p, &rules("US")).unwrap())
    };
    let price = with(&|p| p.variants[0].price = money("24.90"));
    assert_eq!(
        (price.content == base.content, price.price == base.price),
        (true, false)
    );
    assert_eq!(price.inventory, base.inventory);
    let stock = with(&|p| p.variants[1].inventory = 5);
    assert_eq!(
        (
            stock.content == base.content,
            stock.inventory == base.inventory
        ),
        (true, false)
    );
    let title = with(&|p| p.title.push_str(" (2-pack)"));
    assert_ne!(title.content, base.content);
    // Exact decimals: 29.9 and 29.90 are the same price.
    let same = with(&|p| p.variants[0].price = money("29.900"));
    assert_eq!(same, base);
}

fn h(c: &str, p: Option<&str>, i: Option<&str>) -> Hashes {
    Hashes {
        content: c.into(),
        price: p.map(str::to_string),
        inventory: i.map(str::to_string),
    }
}

#[test]
fn the_plan_sends_only_real_changes_and_holds_quarantined_items() {
    let now: BTreeMap<String, Now> = [
        ("a", Now::Valid(h("1", Some("p"), Some("i")))), // unchanged
        ("b", Now::Valid(h("2", Some("p"), Some("i")))), // content changed
        ("c", Now::Valid(h("1", Some("p2"), Some("i")))), // price only
        ("d", Now::Valid(h("1", Some("p"), Some("i2")))), // stock only
        ("e", Now::Valid(h("1", Some("p2"), Some("i2")))), // both
        ("f", Now::Valid(h("1", None, None))),           // new
        ("g", Now::Quarantined),                         // broken since the last sync: held
        ("h", Now::Quarantined),                         // broken and never synced
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let synced: BTreeMap<String, Hashes> = ["a", "b", "c", "d", "e", "g", "z"]
        .into_iter()
        .map(|k| (k.to_string(), h("1", Some("p"), Some("i"))))
        .collect();
    let got = plan(&now, &synced);
    let want: Vec<(String, Action)> = [
        ("b", Action::Update),
        ("c", Action::Price),
        ("d", Action::Inventory),
        ("e", Action::PriceAndInventory),
        ("f", Action::Create),
        ("z", Action::Delete),
    ]
    .into_iter()
    .map(|(k, a)| (k.to_string(), a))
    .collect();
    assert_eq!(got, want);
    assert!(plan(&BTreeMap::new(), &BTreeMap::new()).is_empty());
}

const SHOPIFY: &str = r#"{"id":632910392,"title":"IPod Nano - 8GB","body_html":"<p>It's the small iPod with one very big idea: <strong>Video</strong>. &amp; more</p>","vendor":"Apple","product_type":"Cult Products","handle":"ipod-nano","status":"active","tags":"Emotive, Flash Memory, tiktok-category:601226","options":[{"id":594680422,"name":"Color","position":1}],"images":[{"id":850703190,"src":"https://cdn.shopify.com/s/files/1/0005/4838/0009/products/ipod-nano.png","width":1000,"height":1000}],"variants":[{"id":808950810,"title":"Pink","price":"199.00","sku":"IPOD2008PINK","inventory_policy":"continue","compare_at_price":null,"option1":"Pink","option2":null,"option3":null,"barcode":"1234_pink","grams":567,"image_id":850703190,"inventory_quantity":10},{"id":49148385,"title":"Red","price":"199.00","sku":"IPOD2008RED","inventory_policy":"deny","option1":"Red","barcode":"","grams":567,"inventory_quantity":0}]}"#;

#[test]
fn shopify_products_become_canonical_products() {
    let s = import::StoreSettings {
        store_url: "https://shop.example.com/".into(),
        currency: "USD".into(),
    };
    let p = import::from_shopify(SHOPIFY, &s).unwrap();
    assert_eq!(p.id, "632910392");
    assert_eq!(p.link, "https://shop.example.com/products/ipod-nano");
    assert_eq!(
        p.description,
        "It's the small iPod with one very big idea: Video. & more"
    );
    assert_eq!(p.brand.as_deref(), Some("Apple"));
    assert_eq!(p.tiktok_category_id.as_deref(), Some("601226"));
    assert_eq!(p.variants.len(), 2);
    let pink = &p.variants[0];
    assert_eq!(pink.price, money("199.00"));
    assert_eq!(pink.options[0].name, "Color");
    assert!(pink.continue_selling);
    assert_eq!(pink.weight.as_ref().unwrap().value.to_string(), "0.567");
    assert_eq!(pink.image.as_ref().unwrap().width, 1000);
    assert_eq!(p.variants[1].gtin, None, "an empty barcode is no GTIN");
    // The barcode `1234_pink` is not a GTIN: Meta quarantines the variant with that reason.
    let codes = meta_codes(&p);
    assert!(has(&codes, "gtin", "gtin_not_digits"), "{codes:?}");
}

#[test]
fn json_lines_and_csv_imports() {
    let lines = format!(
        "{}\n\n{}\n",
        serde_json::to_string(&good()).unwrap(),
        serde_json::to_string(&Product {
            id: "p2".into(),
            ..good()
        })
        .unwrap()
    );
    let ps = import::from_json_lines(&lines).unwrap();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0], good());
    let err = import::from_json_lines("{\"id\": 1}\nnot json").unwrap_err();
    assert!(
        matches!(err, import::ImportError::Line { line: 1, .. }),
        "{err}"
    );

    let csv = "product_id,title,description,brand,link,image_url,image_width,image_height,tiktok_category_id,variant_id,sku,price,currency,inventory,gtin,mpn,weight_kg,option_name,option_value\n\
        p1,Tee,Soft tee,Acme,https://s.example/p1,https://cdn.example/1.jpg,1000,1000,601226,v1,TEE-M,19.90,USD,5,6291041500213,,0.2,Size,M\n\
        p1,Tee,Soft tee,Acme,https://s.example/p1,https://cdn.example/1.jpg,1000,1000,601226,v2,TEE-L,19.90,USD,,,,0.25,Size,L\n\
        p2,Cap,A cap,Acme,https://s.example/p2,,,,,v3,CAP,9.5,EUR,1,,M-CAP,,,\n";
    let ps = import::from_csv(csv).unwrap();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0].variants.len(), 2);
    assert_eq!(ps[0].variants[1].inventory, 0);
    assert_eq!(ps[0].variants[0].options[0].value, "M");
    assert_eq!(ps[1].variants[0].price.amount_2dp(), "9.50");
    assert!(ps[1].images.is_empty());
    let bad = "product_id,title,link,variant_id,sku,price,currency\np1,T,https://x,v1,S,nine,USD\n";
    let err = import::from_csv(bad).unwrap_err();
    assert!(err.to_string().starts_with("line 2:"), "{err}");
    // A unit cost, in the row's currency; a bad one names its line.
    let costed = "product_id,title,link,variant_id,sku,price,currency,cost\np1,T,https://x,v1,S,19.90,USD,7.125\np1,T,https://x,v2,L,19.90,USD,\n";
    let ps = import::from_csv(costed).unwrap();
    let cost = ps[0].variants[0].unit_cost.clone().unwrap();
    assert_eq!(
        (cost.amount.to_string(), cost.currency.as_str()),
        ("7.125".into(), "USD")
    );
    assert_eq!(cost.hundredths_times(2), 1425);
    assert!(ps[0].variants[1].unit_cost.is_none());
    let err = import::from_csv(
        "product_id,title,link,variant_id,sku,price,currency,cost\np1,T,https://x,v1,S,1,USD,-2\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("cost"), "{err}");
}

/// A product link or image that is not an http(s) address never enters the catalog: it would end
/// up in a storefront page's `href` or `src` (`javascript:` runs there). Fails without the check:
/// every one of these was imported.
#[test]
fn imports_take_only_http_links_and_images() {
    for bad in [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>x</script>",
        "//evil.example/p",
        "https://",
        "https://shop.example/p q",
        "ftp://shop.example/p",
    ] {
        assert!(!import::web_url(bad), "{bad}");
        let line = serde_json::to_string(&Product {
            link: bad.into(),
            ..good()
        })
        .unwrap();
        assert!(
            import::from_json_lines(&line).is_err(),
            "json lines link {bad}"
        );
        let mut p = good();
        p.images[0].url = bad.into();
        assert!(
            import::from_json_lines(&serde_json::to_string(&p).unwrap()).is_err(),
            "json lines image {bad}"
        );
    }
    for ok in [
        "https://shop.example/products/tee",
        "HTTP://shop.example",
        "https://cdn.shopify.com/s/files/1/tee.jpg?v=1",
    ] {
        assert!(import::web_url(ok), "{ok}");
    }
    let csv = "product_id,title,description,brand,link,image_url,image_width,image_height,tiktok_category_id,variant_id,sku,price,currency,inventory,gtin,mpn,weight_kg,option_name,option_value\n\
               p1,Tee,,,javascript:alert(1),https://cdn.example/t.jpg,800,800,,v1,TEE-1,10.00,USD,1,,,,,\n";
    assert!(matches!(
        import::from_csv(csv),
        Err(import::ImportError::Line { line: 2, .. })
    ));
    let shopify = r#"{"id": 1, "title": "Tee", "handle": "tee", "images": [{"id": 5, "src": "javascript:alert(1)"}], "variants": [{"id": 2, "price": "1.00"}]}"#;
    let settings = import::StoreSettings {
        store_url: "https://shop.example".into(),
        currency: "USD".into(),
    };
    assert!(import::from_shopify(shopify, &settings).is_err());
}
