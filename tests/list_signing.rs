//! A signed list is accepted only as its issuer signed it, under a trusted
//! key, while current, and not older than the host has seen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use prescan::list::format::{ListBuilder, ListLimits, LoadOptions, SignedList, inspect};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};
use prescan::{Error, ListLimit};

const NOW: u64 = 1_790_000_000;

fn entries() -> Vec<Entry> {
    let mut out = Vec::new();
    for i in 0..5u8 {
        out.push(Entry {
            signal: SignalType::Pdq,
            hash: vec![i.wrapping_mul(37) | 1; 32],
            label: Some(format!("pdq-{i}")),
        });
    }
    out.push(Entry { signal: SignalType::Md5, hash: vec![0x11; 16], label: None });
    out.push(Entry { signal: SignalType::Sha1, hash: vec![0x22; 20], label: Some("sha1 case".into()) });
    out.push(Entry { signal: SignalType::Phash, hash: vec![0x33; 8], label: None });
    out
}

fn signed(key: &SecretKey, sequence: u64, expires: Option<u64>) -> Vec<u8> {
    ListBuilder { id: "tamper-test".into(), sequence, created: NOW - 100, expires, thresholds: Default::default() }
        .build(&entries(), key)
        .unwrap()
}

fn options(key: &SecretKey) -> LoadOptions {
    LoadOptions { trusted_keys: vec![key.public()], now: NOW, min_sequence: 0, limits: ListLimits::default() }
}

#[test]
fn every_single_byte_change_is_refused() {
    let key = SecretKey::from_seed([3; 32]);
    let bytes = signed(&key, 5, Some(NOW + 1000));
    assert!(SignedList::load(bytes.clone(), &options(&key)).is_ok());
    let mut reasons = std::collections::BTreeMap::new();
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= flip;
            let err = SignedList::load(bad, &options(&key))
                .err()
                .unwrap_or_else(|| panic!("byte {at} ^ {flip:#x} was accepted"));
            *reasons.entry(err.code()).or_insert(0) += 1;
        }
    }
    println!("{} single-byte changes refused: {reasons:?}", bytes.len() * 3);
    assert!(reasons.contains_key("list_bad_signature"));
    assert!(reasons.contains_key("list_bad_magic"));
    assert!(reasons.contains_key("list_bad_version"));
    assert!(reasons.contains_key("list_unknown_key"));
}

#[test]
fn truncations_and_extensions_are_refused() {
    let key = SecretKey::from_seed([3; 32]);
    let bytes = signed(&key, 5, None);
    for len in 0..bytes.len() {
        assert!(SignedList::load(bytes[..len].to_vec(), &options(&key)).is_err(), "cut to {len}");
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 64]);
    assert!(SignedList::load(longer, &options(&key)).is_err());
}

#[test]
fn wrong_key_is_refused_with_the_lists_key_id() {
    let issuer = SecretKey::from_seed([3; 32]);
    let other = SecretKey::from_seed([4; 32]);
    let bytes = signed(&issuer, 5, None);
    let err = SignedList::load(bytes.clone(), &options(&other)).unwrap_err();
    assert_eq!(err, Error::UnknownKey { key_id: issuer.public().id().to_string() });
    let none = LoadOptions { trusted_keys: vec![], ..options(&issuer) };
    assert!(matches!(SignedList::load(bytes.clone(), &none), Err(Error::UnknownKey { .. })));
    // Trusting several keys, the issuer's among them, is fine.
    let both = LoadOptions { trusted_keys: vec![other.public(), issuer.public()], ..options(&issuer) };
    assert!(SignedList::load(bytes, &both).is_ok());
}

#[test]
fn a_list_resigned_by_an_attacker_is_refused() {
    // The attacker rebuilds the list with extra entries under their own key
    // and puts the issuer's key id in the header: the signature fails.
    let issuer = SecretKey::from_seed([3; 32]);
    let attacker = SecretKey::from_seed([9; 32]);
    let mut forged = signed(&attacker, 99, None);
    forged[12..20].copy_from_slice(&issuer.public().id().0);
    assert_eq!(SignedList::load(forged, &options(&issuer)).unwrap_err(), Error::BadSignature);
}

#[test]
fn expired_lists_are_refused() {
    let key = SecretKey::from_seed([3; 32]);
    let bytes = signed(&key, 5, Some(NOW));
    assert_eq!(SignedList::load(bytes.clone(), &options(&key)).unwrap_err(), Error::Expired { expires: NOW, now: NOW });
    let earlier = LoadOptions { now: NOW - 1, ..options(&key) };
    assert!(SignedList::load(bytes, &earlier).is_ok());
    // No expiry: accepted at any time.
    let forever = signed(&key, 5, None);
    assert!(SignedList::load(forever, &LoadOptions { now: u64::MAX, ..options(&key) }).is_ok());
}

#[test]
fn rolled_back_lists_are_refused() {
    let key = SecretKey::from_seed([3; 32]);
    let old = signed(&key, 41, None);
    let current = signed(&key, 42, None);
    let seen = LoadOptions { min_sequence: 42, ..options(&key) };
    assert_eq!(SignedList::load(old, &seen).unwrap_err(), Error::Rollback { sequence: 41, minimum: 42 });
    assert_eq!(SignedList::load(current, &seen).unwrap().meta().sequence, 42);
}

#[test]
fn size_limits_apply_before_parsing() {
    let key = SecretKey::from_seed([3; 32]);
    let bytes = signed(&key, 5, None);
    let tight =
        LoadOptions { limits: ListLimits { max_bytes: bytes.len() as u64 - 1, max_entries: 100 }, ..options(&key) };
    assert!(matches!(
        SignedList::load(bytes.clone(), &tight),
        Err(Error::ListTooLarge { limit: ListLimit::Bytes, .. })
    ));
    let few = LoadOptions { limits: ListLimits { max_bytes: 1 << 20, max_entries: 7 }, ..options(&key) };
    assert!(matches!(
        SignedList::load(bytes.clone(), &few),
        Err(Error::ListTooLarge { limit: ListLimit::Entries, .. })
    ));
    let info = inspect(&bytes, &ListLimits::default()).unwrap();
    assert_eq!(info.sections.iter().map(|s| s.2).sum::<usize>(), 8);
}

#[test]
fn loaded_list_reads_entries_and_labels_in_place() {
    let key = SecretKey::from_seed([3; 32]);
    let list = SignedList::load(signed(&key, 5, None), &options(&key)).unwrap();
    let all = entries();
    for signal in [SignalType::Pdq, SignalType::Md5, SignalType::Sha1, SignalType::Phash] {
        let section = list.section(signal).unwrap();
        let want: Vec<&Entry> = all.iter().filter(|e| e.signal == signal).collect();
        assert_eq!(section.count, want.len());
        for (i, e) in want.iter().enumerate() {
            assert_eq!(section.hash(i).unwrap(), e.hash.as_slice());
            assert_eq!(section.label(i), e.label.as_deref());
        }
        // In place: the hashes are a slice of the list's own bytes.
        let (bytes, range) = list.shared_hashes(signal).unwrap();
        assert_eq!(section.hashes.as_ptr(), bytes[range].as_ptr());
    }
}

#[test]
fn a_list_without_its_pdq_hashes_keeps_the_rest() {
    let key = SecretKey::from_seed([3; 32]);
    let list = SignedList::load(signed(&key, 5, None), &options(&key)).unwrap();
    let all = entries();
    let slim = list.clone().without_hashes(SignalType::Pdq);
    assert_eq!(slim.meta(), list.meta());
    assert_eq!(slim.len(), list.len());
    let pdq = slim.section(SignalType::Pdq).unwrap();
    assert!(pdq.hashes.is_empty());
    assert_eq!(pdq.hash(0), None);
    for signal in [SignalType::Pdq, SignalType::Md5, SignalType::Sha1, SignalType::Phash] {
        let (before, after) = (list.section(signal).unwrap(), slim.section(signal).unwrap());
        assert_eq!((after.count, after.threshold), (before.count, before.threshold));
        let want: Vec<&Entry> = all.iter().filter(|e| e.signal == signal).collect();
        for (i, e) in want.iter().enumerate() {
            assert_eq!(after.label(i), e.label.as_deref(), "{signal:?} {i}");
            if signal != SignalType::Pdq {
                assert_eq!(after.hash(i).unwrap(), e.hash.as_slice());
            }
        }
    }
    let (bytes, _) = slim.shared_hashes(SignalType::Md5).unwrap();
    let (full, pdq_range) = list.shared_hashes(SignalType::Pdq).unwrap();
    assert_eq!(bytes.len(), full.len() - pdq_range.len());
}

#[test]
fn an_unsigned_list_signed_apart_is_the_built_list_and_only_for_its_key() {
    let key = SecretKey::from_seed([3; 32]);
    let other = SecretKey::from_seed([4; 32]);
    let builder = ListBuilder {
        id: "apart".into(),
        sequence: 2,
        created: NOW - 100,
        expires: None,
        thresholds: Default::default(),
    };
    let built = builder.build(&entries(), &key).unwrap();
    let unsigned = builder.unsigned(&entries(), &key.public()).unwrap();
    assert_eq!(unsigned.bytes(), &built[..built.len() - 64]);
    assert_eq!(unsigned.signature(&key).unwrap()[..], built[built.len() - 64..]);
    assert_eq!(unsigned.clone().sign(&key).unwrap(), built);
    // The header names the key it was made for: another key's signature
    // would make a list nobody could load, so none is given.
    let err = unsigned.signature(&other).unwrap_err();
    assert_eq!(err.code(), "list_unknown_key");
    assert!(SignedList::load(built, &options(&key)).is_ok());
}
