//! The traffic history's table: one record per day (`yyyymmdd` → JSON).

use redb::{ReadTransaction, ReadableTable, TableDefinition};

use super::{Store, StoreError};
use crate::engine::traffic::DayTraffic;

pub(super) const TRAFFIC: TableDefinition<u32, &[u8]> = TableDefinition::new("traffic");

impl Store {
    /// Write these days, and forget those before `first_kept`.
    pub async fn put_traffic(
        &self,
        days: Vec<DayTraffic>,
        first_kept: Option<u32>,
    ) -> Result<(), StoreError> {
        self.write(move |db| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(TRAFFIC)?;
                for day in &days {
                    let bytes = serde_json::to_vec(day).unwrap_or_default();
                    table.insert(day.day, bytes.as_slice())?;
                }
                if let Some(first) = first_kept {
                    table.retain(|day, _| day >= first)?;
                }
            }
            txn.commit()?;
            Ok(())
        })
        .await
    }
}

/// Every day recorded (an unreadable one is skipped: it is a count, not data).
pub(super) fn read(read: &ReadTransaction) -> Result<Vec<DayTraffic>, redb::Error> {
    let table = match read.open_table(TRAFFIC) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut days = Vec::new();
    for entry in table.iter()? {
        let (_, value) = entry?;
        if let Ok(day) = serde_json::from_slice::<DayTraffic>(value.value()) {
            days.push(day);
        }
    }
    Ok(days)
}
