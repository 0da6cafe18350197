use super::blocklist::{Blocklist, Hit, OnHit};
use super::media_url::{DEFAULT_HOSTS, UrlRefusal, check};
use super::*;

/// The whole state machine, every pair: exactly these are allowed.
#[test]
fn every_pair_of_states() {
    use Status::*;
    let allowed = [
        (Queued, Reviewing),
        (Reviewing, Approved),
        (Approved, Published),
        (Published, Archived),
        (Queued, Rejected),
        (Reviewing, Rejected),
        (Approved, Rejected),
    ];
    let mut count = 0;
    for from in Status::ALL {
        for to in Status::ALL {
            let expect = allowed.contains(&(from, to));
            assert_eq!(from.can_become(to), expect, "{from:?} → {to:?}");
            let rights = [rights(&[Channel::Site], 0, None)];
            let mappings = [mapping()];
            let publish = PublishCheck {
                rights: &rights,
                mappings: &mappings,
                channel: Channel::Site,
                shoppable: true,
                now: 10,
            };
            let r = transition("i", from, to, "mod", Some("off-brand"), Some(&publish), 10);
            if expect {
                let entry = r.unwrap();
                assert_eq!(
                    (entry.from, entry.to, entry.actor.as_str()),
                    (from, to, "mod")
                );
                count += 1;
            } else {
                assert_eq!(r.unwrap_err(), TransitionError::Illegal { from, to });
            }
        }
    }
    assert_eq!(count, 7);
}

fn rights(channels: &[Channel], starts: i64, expires: Option<i64>) -> Rights {
    Rights {
        id: "r1".into(),
        item_id: "i".into(),
        license: "perpetual-social".into(),
        channels: channels.iter().copied().collect(),
        starts_at: starts,
        expires_at: expires,
        revoked_at: None,
        consent: Consent::CommentReply {
            comment_id: "c1".into(),
            author: "creator".into(),
            text: "#YesAcme".into(),
            permalink: "https://www.instagram.com/p/x/".into(),
            replied_at: starts,
        },
        artifact_key: "consent/i/r1.json".into(),
    }
}

fn mapping() -> ProductMapping {
    ProductMapping {
        sku: "TEE-BLK-M".into(),
        placement: "pdp".into(),
        confidence: 1.0,
        pinned: false,
    }
}

#[test]
fn rights_are_valid_for_their_channels_and_period_only() {
    let r = rights(&[Channel::Site, Channel::Email], 100, Some(200));
    assert!(!r.valid_for(Channel::Site, 99), "not started");
    assert!(r.valid_for(Channel::Site, 100));
    assert!(r.valid_for(Channel::Email, 199));
    assert!(!r.valid_for(Channel::Site, 200), "expired at its end");
    assert!(!r.valid_for(Channel::Ads, 150), "not granted for ads");
    let mut revoked = r.clone();
    revoked.revoked_at = Some(150);
    assert!(revoked.valid_for(Channel::Site, 149));
    assert!(!revoked.valid_for(Channel::Site, 150));
    assert!(rights(&[Channel::Site], 0, None).valid_for(Channel::Site, i64::MAX - 1));
}

#[test]
fn only_published_items_with_rights_for_the_channel_are_shown() {
    let r = [rights(&[Channel::Site], 0, Some(100))];
    assert!(showable(Status::Published, &r, Channel::Site, 50));
    assert!(!showable(Status::Published, &r, Channel::Site, 100));
    assert!(!showable(Status::Published, &r, Channel::Tiktok, 50));
    assert!(!showable(Status::Approved, &r, Channel::Site, 50));
    assert!(!showable(Status::Published, &[], Channel::Site, 50));
}

#[test]
fn publishing_needs_rights_and_a_mapping() {
    let none: [Rights; 0] = [];
    let pending = [rights(&[Channel::Site], 1_000, None)];
    let ok = [rights(&[Channel::Site], 0, None)];
    let maps = [mapping()];
    let check = |rights: &[Rights], mappings: &[ProductMapping], shoppable: bool| {
        let p = PublishCheck {
            rights,
            mappings,
            channel: Channel::Site,
            shoppable,
            now: 10,
        };
        transition(
            "i",
            Status::Approved,
            Status::Published,
            "m",
            None,
            Some(&p),
            10,
        )
    };
    assert_eq!(
        check(&none, &maps, true).unwrap_err(),
        TransitionError::NoValidRights(Channel::Site)
    );
    assert_eq!(
        check(&pending, &maps, true).unwrap_err(),
        TransitionError::NoValidRights(Channel::Site)
    );
    assert_eq!(
        check(&ok, &[], true).unwrap_err(),
        TransitionError::NoMapping
    );
    assert!(check(&ok, &[], false).is_ok());
    assert!(check(&ok, &maps, true).is_ok());
    // Without the check at all, nothing publishes.
    assert!(
        transition(
            "i",
            Status::Approved,
            Status::Published,
            "m",
            None,
            None,
            10
        )
        .is_err()
    );
}

#[test]
fn rejections_need_a_reason() {
    for reason in [None, Some(""), Some("   ")] {
        assert_eq!(
            transition("i", Status::Queued, Status::Rejected, "m", reason, None, 1).unwrap_err(),
            TransitionError::ReasonRequired
        );
    }
    let e = transition(
        "i",
        Status::Queued,
        Status::Rejected,
        "m",
        Some(" blurry "),
        None,
        1,
    )
    .unwrap();
    assert_eq!(e.reason.as_deref(), Some("blurry"));
}

#[test]
fn blocklists_match_whole_words_phrases_and_handles() {
    let b = Blocklist {
        words: vec!["ass".into(), "free money".into()],
        handles: vec!["@Spammer".into()],
        on_hit: OnHit::Reject,
    };
    assert!(b.check("A classic tee, first class", None).is_empty());
    assert_eq!(
        b.check("Get FREE  money now!", None),
        [Hit::Word("free money".into())]
    );
    assert_eq!(
        b.check("what an ass.", Some("spammer")),
        [Hit::Word("ass".into()), Hit::Handle("spammer".into())]
    );
    assert_eq!(
        Hit::Handle("spammer".into()).to_string(),
        "blocked handle @spammer"
    );
    assert!(
        Blocklist::default()
            .check("anything", Some("anyone"))
            .is_empty()
    );
}

#[test]
fn media_urls_only_from_allowed_cdns() {
    let ok = "https://scontent-iad3-1.cdninstagram.com/v/t51/123.jpg?stp=dst&oh=00";
    assert_eq!(
        check(ok, DEFAULT_HOSTS).unwrap(),
        "scontent-iad3-1.cdninstagram.com"
    );
    assert!(check("https://p16-sign-va.tiktokcdn.com/obj/x.mp4", DEFAULT_HOSTS).is_ok());
    let refused = [
        (
            "http://scontent.cdninstagram.com/a.jpg",
            UrlRefusal::NotHttps,
        ),
        (
            "https://169.254.169.254/latest/meta-data/",
            UrlRefusal::Address,
        ),
        ("https://[::1]/x", UrlRefusal::Address),
        ("https://2130706433/x", UrlRefusal::Address),
        (
            "https://user:pw@scontent.cdninstagram.com/a.jpg",
            UrlRefusal::Credentials,
        ),
        (
            "https://scontent.cdninstagram.com:8443/a.jpg",
            UrlRefusal::Port,
        ),
        (
            "https://cdninstagram.com.evil.example/a.jpg",
            UrlRefusal::HostNotAllowed("cdninstagram.com.evil.example".into()),
        ),
        (
            "https://evilcdninstagram.com/a.jpg",
            UrlRefusal::HostNotAllowed("evilcdninstagram.com".into()),
        ),
        (
            "https://cdninstagram.com/a.jpg",
            UrlRefusal::HostNotAllowed("cdninstagram.com".into()),
        ),
        (
            "https://localhost/a.jpg",
            UrlRefusal::HostNotAllowed("localhost".into()),
        ),
        ("file:///etc/passwd", UrlRefusal::Unparsable),
        (
            "ftp://scontent.cdninstagram.com/a.jpg",
            UrlRefusal::NotHttps,
        ),
        ("not a url", UrlRefusal::Unparsable),
    ];
    for (url, why) in refused {
        assert_eq!(check(url, DEFAULT_HOSTS), Err(why), "{url}");
    }
    assert!(check("https://SCONTENT.CDNINSTAGRAM.COM/a.jpg", DEFAULT_HOSTS).is_ok());
    assert!(check("https://media.example/a.jpg", &["media.example"]).is_ok());
    // A whole-origin entry allows that origin exactly: not another port, scheme or address.
    let local = ["http://127.0.0.1:4010"];
    assert_eq!(
        check("http://127.0.0.1:4010/_sim/ig-cdn/a.mp4", &local),
        Ok("127.0.0.1".into())
    );
    assert_eq!(
        check("http://127.0.0.1:4011/a.mp4", &local),
        Err(UrlRefusal::NotHttps)
    );
    assert_eq!(
        check("https://127.0.0.1:4010/a.mp4", &local),
        Err(UrlRefusal::Port)
    );
    assert_eq!(
        check("http://169.254.169.254/latest/meta-data/", &local),
        Err(UrlRefusal::NotHttps)
    );
}

#[test]
fn only_public_addresses_are_fetched() {
    use crate::content::media_url::is_public_ip;
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        // IPv6 transition ranges that lead back to IPv4 (or nowhere public).
        "::127.0.0.1",
        "::a9fe:a9fe",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:2::1",
        "64:ff9b::7f00:1",
        "64:ff9b:1::a9fe:a9fe",
        "100::1",
        "fec0::1",
        "192.88.99.1",
    ] {
        assert!(!is_public_ip(private.parse().unwrap()), "{private}");
    }
    for public in [
        "157.240.1.1",
        "31.13.64.1",
        "2a03:2880:f003:c07:face:b00c::2",
        "2001:4860:4860::8888",
        "2600:1f18::1",
    ] {
        assert!(is_public_ip(public.parse().unwrap()), "{public}");
    }
}

#[test]
fn item_ids_are_stable_per_source_and_external_id() {
    let a = UgcItem::id_for(Source::InstagramHashtag, "17895695668004550");
    assert_eq!(
        a,
        UgcItem::id_for(Source::InstagramHashtag, "17895695668004550")
    );
    assert_ne!(
        a,
        UgcItem::id_for(Source::InstagramMention, "17895695668004550")
    );
    assert!(a.starts_with("ugc_") && a.len() == 24);
    assert!(a[4..].bytes().all(|b| b.is_ascii_hexdigit()));
}

mod automated_checks {
    use super::super::blocklist::{Blocklist, OnHit};
    use super::super::checks::*;
    use super::super::*;
    use crate::video::{MediaRecord, MediaStatus, Probe, RejectCode, Rejection, SourceRef};

    fn probe(w: u32, h: u32, secs: f64, audio: bool) -> Probe {
        Probe {
            container: "mov".into(),
            duration_secs: secs,
            video_codec: "h264".into(),
            width: w,
            height: h,
            rotation: 0,
            sample_aspect: (1, 1),
            display_width: w,
            display_height: h,
            frame_rate: 30.0,
            variable_frame_rate: false,
            has_audio: audio,
            audio_codec: None,
            bit_rate: None,
            size_bytes: None,
        }
    }

    fn media(p: Option<Probe>, status: MediaStatus) -> MediaRecord {
        let source = SourceRef {
            bucket: "b".into(),
            key: "k".into(),
            etag: "e".into(),
        };
        MediaRecord {
            status,
            probe: p,
            ..MediaRecord::attempt("i", source, 1, 0, 0)
        }
    }

    #[test]
    fn the_strictest_verdict_wins_with_its_reasons() {
        let mut item = UgcItem::new(
            Source::InstagramHashtag,
            "1",
            MediaType::Video,
            "free money here",
            0,
        );
        item.author.handle = Some("@bot".into());
        let flag_words = TextCheck(Blocklist {
            words: vec!["free money".into()],
            handles: vec![],
            on_hit: OnHit::Flag,
        });
        let reject_handles = TextCheck(Blocklist {
            words: vec![],
            handles: vec!["bot".into()],
            on_hit: OnHit::Reject,
        });
        let sanity = MediaSanity::default();
        let m = media(Some(probe(360, 640, 120.0, false)), MediaStatus::Transcoded);
        let subject = Subject {
            item: &item,
            media: Some(&m),
        };

        assert_eq!(
            sanity.check(&subject),
            Verdict::Flag("long video (120 s), low resolution (360×640), no audio".into())
        );
        assert_eq!(
            run_checks(&[&flag_words, &sanity], &subject),
            Verdict::Flag("blocklist: blocked word `free money`; media: long video (120 s), low resolution (360×640), no audio".into())
        );
        assert_eq!(
            run_checks(&[&flag_words, &reject_handles, &sanity], &subject),
            Verdict::Reject("blocklist: blocked handle @bot".into())
        );
        let clean = UgcItem::new(Source::Upload, "2", MediaType::Video, "my new tee", 0);
        let good = media(Some(probe(1080, 1920, 20.0, true)), MediaStatus::Transcoded);
        assert_eq!(
            run_checks(
                &[&flag_words, &sanity],
                &Subject {
                    item: &clean,
                    media: Some(&good)
                }
            ),
            Verdict::Pass
        );
        assert_eq!(
            run_checks(
                &[],
                &Subject {
                    item: &clean,
                    media: None
                }
            ),
            Verdict::Pass
        );
    }

    #[test]
    fn a_video_the_transcoder_refused_is_rejected_with_its_reason() {
        let item = UgcItem::new(Source::Upload, "3", MediaType::Video, "", 0);
        let mut m = media(None, MediaStatus::Failed);
        m.failure = Some(Rejection::new(RejectCode::Corrupt, "cannot be read"));
        assert_eq!(
            MediaSanity::default().check(&Subject {
                item: &item,
                media: Some(&m)
            }),
            Verdict::Reject("unusable video: corrupt: cannot be read".into())
        );
    }
}

#[test]
fn upload_keys_name_the_creator_and_the_upload() {
    let key = upload_key("cr_1", "up-9", "mp4");
    assert_eq!(key, "uploads/cr_1/up-9.mp4");
    assert_eq!(parse_upload_key(&key), Some(("cr_1", "up-9")));
    for bad in [
        "imports/cr_1/up.mp4",
        "uploads/cr_1/up",
        "uploads/../up.mp4",
        "uploads/cr 1/up.mp4",
        "uploads/cr_1/a/b.mp4",
        "uploads//up.mp4",
    ] {
        assert_eq!(parse_upload_key(bad), None, "{bad}");
    }
}
