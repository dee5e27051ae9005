//! Response shapes: element paths (below `tsResponse`, local names) and their attribute
//! names, to compare the simulator's answers with the captured samples in tests/fixtures/.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::Event;
use quick_xml::Reader;

pub type Shape = BTreeMap<String, BTreeSet<String>>;

/// A sample from tests/fixtures/.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Element paths (below `tsResponse`, local names) -> attribute names.
pub fn shape(xml: &str) -> Shape {
    let mut r = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Shape::new();
    loop {
        let ev = r.read_event().unwrap_or_else(|e| panic!("bad XML {e}: {xml}"));
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                let attrs: BTreeSet<String> = e
                    .attributes()
                    .map(|a| a.unwrap())
                    .filter(|a| {
                        let k = a.key.as_ref();
                        !k.starts_with(b"xmlns") && !k.starts_with(b"xsi:")
                    })
                    .map(|a| String::from_utf8(a.key.local_name().as_ref().to_vec()).unwrap())
                    .collect();
                if name != "tsResponse" {
                    let mut path = stack.clone();
                    path.push(name.clone());
                    out.entry(path.join("/")).or_default().extend(attrs);
                }
                if matches!(ev, Event::Start(_)) && name != "tsResponse" {
                    stack.push(name);
                }
            }
            Event::End(e) if e.local_name().as_ref() != b"tsResponse" => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Assert `ours` covers the sample, except `allowed` ("path" or "path@attr").
pub fn covers_sample(sample_name: &str, sample: &str, ours: &str, allowed: &[&str]) {
    let sample = shape(sample);
    let got = shape(ours);
    let mut missing = Vec::new();
    for (path, attrs) in &sample {
        if allowed.contains(&path.as_str()) {
            continue;
        }
        let Some(have) = got.get(path) else {
            missing.push(path.clone());
            continue;
        };
        for a in attrs {
            let key = format!("{path}@{a}");
            if !have.contains(a) && !allowed.contains(&key.as_str()) {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{sample_name}: missing {missing:?}\nours: {got:#?}"
    );
}

/// Assert `ours` covers the fixture `name`, except `allowed`.
pub fn covers(name: &str, ours: &str, allowed: &[&str]) {
    covers_sample(name, &fixture(name), ours, allowed)
}

/// Assert everything in `ours` is in the sample or in `extra` ("path" or "path@attr"):
/// nothing beyond Tableau's field set.
pub fn within(name: &str, ours: &str, extra: &[&str]) {
    let sample = shape(&fixture(name));
    let mut beyond = Vec::new();
    for (path, attrs) in shape(ours) {
        if path == "pagination" || extra.contains(&path.as_str()) {
            continue;
        }
        let Some(have) = sample.get(&path) else {
            beyond.push(path);
            continue;
        };
        for a in attrs {
            let key = format!("{path}@{a}");
            if !have.contains(&a) && !extra.contains(&key.as_str()) {
                beyond.push(key);
            }
        }
    }
    assert!(beyond.is_empty(), "{name}: beyond the sample {beyond:?}");
}
