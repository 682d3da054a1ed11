//! The store against real redb files in temporary folders.

use super::*;
use crate::engine::operation::Target;
use crate::engine::request::Request;

fn record(seq: u64) -> Snapshot {
    let request = Request::download("http://127.0.0.1/x", None);
    Snapshot::new(
        seq,
        &request,
        request.url.clone(),
        Some(Target::Folder("/tmp".into())),
    )
}

#[tokio::test]
async fn records_survive_reopening_in_creation_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.redb");
    let (a, b) = (record(2), record(1));
    {
        let opened = Store::open(&path).unwrap();
        assert!(opened.records.is_empty());
        opened.store.put(&a).await.unwrap();
        opened.store.put(&b).await.unwrap();
    }
    let opened = Store::open(&path).unwrap();
    assert_eq!(
        opened.records,
        vec![Box::new(b.clone()), Box::new(a.clone())]
    );
    opened.store.delete(b.id).await.unwrap();
    drop(opened);
    assert_eq!(Store::open(&path).unwrap().records, vec![Box::new(a)]);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.redb");
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(SCHEMA_KEY, SCHEMA_VERSION + 1)
            .unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer Ferry"));
    // Still there, still newer: nothing was moved aside or downgraded.
    let again = Store::open(&path).unwrap_err();
    assert!(
        matches!(again, StoreError::NewerSchema { found: 2, .. }),
        "{again}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_damaged_file_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.redb");
    let junk: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &junk).unwrap();
    let opened = Store::open(&path).unwrap();
    assert!(opened.records.is_empty());
    let [StoreNotice::MovedAside { moved_to, .. }] = opened.notices.as_slice() else {
        panic!("expected a moved-aside notice, got {:?}", opened.notices);
    };
    assert!(
        std::fs::read(moved_to).unwrap() == junk,
        "the damaged file is kept as it was"
    );
    assert!(
        moved_to
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ferry.redb.corrupt-")
    );
}

#[tokio::test]
async fn an_undecodable_record_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.redb");
    let good = record(1);
    {
        let opened = Store::open(&path).unwrap();
        opened.store.put(&good).await.unwrap();
        let txn = opened.store.database().unwrap().begin_write().unwrap();
        txn.open_table(OPERATIONS)
            .unwrap()
            .insert(7u128, b"{not json".as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let opened = Store::open(&path).unwrap();
    assert_eq!(opened.records, vec![Box::new(good)]);
    assert_eq!(
        opened.notices,
        vec![StoreNotice::UnreadableRecords { count: 1 }]
    );
}
