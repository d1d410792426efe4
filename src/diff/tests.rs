//! The differ on the fixture pair, on edits made by hand, and by property.
use super::*;
use crate::{ParseOptions, parse_page};
use proptest::prelude::*;

fn fixture(name: &str) -> Page {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path).expect("fixture");
    parse_page(&bytes, &ParseOptions::default()).expect("parses")
}

fn ops(d: &PageDiff) -> Vec<(Op, String)> {
    d.changes.iter().map(|c| (c.op, c.path())).collect()
}

#[test]
fn later_capture_gives_the_editorial_changes() {
    let d = diff(
        &fixture("karlskrona-2010-raw.html"),
        &fixture("karlskrona-2011-raw.html"),
    );
    assert_eq!(
        ops(&d),
        [
            (Op::Changed, "/updated".to_owned()),
            (Op::Removed, "/sections/Baltic Link Association".to_owned()),
            (
                Op::Changed,
                "/sections/Union of the Baltic Cities, UBC/paragraphs".to_owned()
            ),
            (
                Op::Added,
                "/sections/Conference of Peripheral Maritime Regions, CPMR".to_owned()
            ),
            (Op::Removed, "/networks/Baltic Link Association".to_owned()),
            (Op::Changed, "/networks/UBC/description".to_owned()),
            (Op::Added, "/networks/CPMR".to_owned()),
            (Op::Added, "/contacts/Anna Lindqvist".to_owned()),
        ]
    );
    let ubc = &d.changes[5];
    let words = ubc.words.as_deref().expect("words");
    assert_eq!(words[0], Words::Equal("Nätverket UBC består av".into()));
    assert_eq!(words[1], Words::Delete("ett hundratal".into()));
    assert_eq!(words[2], Words::Insert("drygt hundra".into()));
    assert_eq!(
        d.summary,
        Summary {
            added: 3,
            removed: 2,
            changed: 3,
            moved: 0,
            renamed: 0
        }
    );
    assert!(d.changed);
}

#[test]
fn how_the_bytes_were_served_is_never_a_change() {
    let raw = fixture("karlskrona-2010-raw.html");
    for other in [
        "karlskrona-2010-wayback-view.html",
        "enc-utf8-declared-but-windows-1252.html",
        "enc-no-charset.html",
        "enc-utf8-bom-meta-latin1.html",
        "enc-windows-1252-c1.html",
    ] {
        let d = diff(&raw, &fixture(other));
        assert!(!d.changed, "{other}: {:?}", ops(&d));
    }
}

#[test]
fn double_encoded_text_is_not_a_change() {
    assert_eq!(comparable("(EspaÃ±ol) Â"), "(Español)");
    assert_eq!(
        comparable("help \u{e2}\u{80}\u{93} cash"),
        "help \u{2013} cash"
    );
    assert_eq!(comparable("Tore  Almlöf\n\nChef"), "Tore Almlöf Chef");
    assert_eq!(comparable("宜昌市"), "宜昌市");
    let a = fixture("karlskrona-2010-raw.html");
    let mut b = a.clone();
    b.contacts[0].role = Some("Chef fÃ¶r strategisk planering".into());
    assert!(!diff(&a, &b).changed);
}

#[test]
fn moved_and_renamed_items() {
    let a = fixture("karlskrona-2010-raw.html");
    let mut b = a.clone();
    b.networks.swap(0, 3);
    b.networks[1].name = "Baltic Link Association (BLA)".into();
    let d = diff(&a, &b);
    // Before: UBC, Baltic Link, Baltic Sail, ERB. After: ERB, Baltic Link (BLA), Baltic Sail, UBC.
    // Baltic Link and Baltic Sail keep their order; ERB and UBC moved.
    assert_eq!(
        ops(&d),
        [
            (Op::Moved, "/networks/ERB".to_owned()),
            (Op::Renamed, "/networks/Baltic Link Association".to_owned()),
            (Op::Moved, "/networks/UBC".to_owned()),
        ]
    );
    assert_eq!(d.changes[0].before, json!(3));
    assert_eq!(d.changes[0].after, json!(0));
}

#[test]
fn keys_ignore_case_and_spacing_and_paths_are_escaped() {
    let a = fixture("karlskrona-2010-raw.html");
    let mut b = a.clone();
    b.contacts[0].name = "tore  ALMLÖF".into();
    assert!(!diff(&a, &b).changes.iter().any(|c| c.op != Op::Changed));
    b.sections[2].heading = Some("Baltic/Sail ~ 2010".into());
    b.sections[2].paragraphs = vec!["helt ny text".into()];
    let d = diff(&a, &b);
    assert!(ops(&d).contains(&(Op::Added, "/sections/Baltic~1Sail ~0 2010".to_owned())));
}

/// The edits the property test can make, and the change each must produce.
#[derive(Debug, Clone)]
struct Edits {
    title: bool,
    updated: bool,
    remove: Option<usize>,
    describe: Option<usize>,
    add: bool,
    role: bool,
}

fn edits() -> impl Strategy<Value = Edits> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0usize..4),
        proptest::option::of(0usize..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(title, updated, remove, describe, add, role)| Edits {
            title,
            updated,
            describe: describe.filter(|d| Some(*d) != remove),
            remove,
            add,
            role,
        })
}

fn apply(base: &Page, e: &Edits) -> (Page, Vec<(Op, String)>) {
    let mut p = base.clone();
    let mut want = Vec::new();
    let key = |n: &Network| n.acronym.clone().unwrap_or_else(|| n.name.clone());
    if e.title {
        p.title = Some("Internationella nätverk och samarbeten".into());
        want.push((Op::Changed, "/title".to_owned().to_owned()));
    }
    if e.updated {
        p.updated = Some("2012-01-31".into());
        want.push((Op::Changed, "/updated".to_owned().to_owned()));
    }
    if let Some(i) = e.describe {
        p.networks[i]
            .description
            .push_str(" Samarbetet utvärderas årligen.");
        want.push((
            Op::Changed,
            format!("/networks/{}/description", key(&p.networks[i])),
        ));
    }
    if let Some(i) = e.remove {
        want.push((Op::Removed, format!("/networks/{}", key(&p.networks[i]))));
        p.networks.remove(i);
    }
    if e.add {
        p.networks.push(Network {
            name: "Nordiska vänorter".into(),
            acronym: Some("NV".into()),
            description: "Vänortsutbyte med skolor i Norden.".into(),
            links: vec![],
        });
        want.push((Op::Added, "/networks/NV".to_owned().to_owned()));
    }
    if e.role {
        p.contacts[0].role = Some("Strateg".into());
        want.push((
            Op::Changed,
            "/contacts/Tore Almlöf/role".to_owned().to_owned(),
        ));
    }
    (p, want)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_edits_are_all_reported_and_nothing_else(e in edits()) {
        let base = fixture("karlskrona-2010-raw.html");
        let (edited, mut want) = apply(&base, &e);
        let d = diff(&base, &edited);
        let mut got: Vec<(Op, String)> = d.changes.iter().map(|c| (c.op, c.path())).collect();
        got.sort_by(|x, y| x.1.cmp(&y.1));
        want.sort_by(|x, y| x.1.cmp(&y.1));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn diff_with_itself_is_empty_and_mirrors_swap_added_and_removed(e in edits()) {
        let base = fixture("karlskrona-2010-raw.html");
        let (edited, _) = apply(&base, &e);
        prop_assert!(!diff(&edited, &edited).changed);
        let forward = diff(&base, &edited);
        let backward = diff(&edited, &base);
        prop_assert_eq!(forward.summary.added, backward.summary.removed);
        prop_assert_eq!(forward.summary.removed, backward.summary.added);
        prop_assert_eq!(forward.summary.changed, backward.summary.changed);
        for c in &forward.changes {
            let mirrored = match c.op { Op::Added => Op::Removed, Op::Removed => Op::Added, op => op };
            prop_assert!(backward.changes.iter().any(|b| b.op == mirrored && b.target == c.target && b.before == c.after && b.after == c.before),
                "no mirror of {:?} {}", c.op, c.target);
        }
    }
}

#[test]
fn untitled_body_text_is_keyed_by_the_empty_heading() {
    let a = fixture("karlskrona-2010-raw.html");
    let mut b = a.clone();
    let untitled = crate::model::Section {
        heading: None,
        level: 2,
        paragraphs: vec!["Text utan rubrik.".into()],
        links: Vec::new(),
    };
    let mut with = a.clone();
    with.sections.insert(0, untitled.clone());
    let mut changed = untitled;
    changed.paragraphs = vec!["Annan text utan rubrik.".into()];
    b.sections.insert(0, changed);
    let d = diff(&with, &b);
    assert_eq!(ops(&d), [(Op::Changed, "/sections//paragraphs".to_owned())]);
    let md = crate::report::markdown(&d, Some("Sida"), crate::report::Lang::Sv);
    assert!(md.contains("Avsnittet **utan rubrik**"), "{md}");
}
