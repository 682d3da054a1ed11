//! The network and power conditions an operation runs under, and the seed's table
//! that decides, for each cost policy, whether it may use the network now.
//!
//! The engine never asks the operating system itself: a [`NetworkMonitor`] (the
//! agent's NetworkManager/power-profiles reader, or a test's fake) publishes
//! [`Conditions`]; the data budget is counted by the engine from its own traffic.

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::operation::{CostPolicy, Status};

/// What the system says about the network and power right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    /// Some network is up. Without a monitor this is assumed, and loss is found
    /// from connection failures instead.
    pub online: bool,
    /// The primary connection costs money per byte (a phone hotspot, a mobile modem).
    pub metered: bool,
    /// The mobile connection is roaming.
    pub roaming: bool,
    /// The operating system's power saver is on.
    pub power_saver: bool,
}

impl Default for Conditions {
    /// Online, free and on mains: what is assumed when nothing says otherwise.
    fn default() -> Self {
        Self {
            online: true,
            metered: false,
            roaming: false,
            power_saver: false,
        }
    }
}

/// Where the month's metered traffic stands against the user's budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataLimit {
    /// No budget set, or well under it.
    #[default]
    Under,
    /// 90 % of the budget used: on track to go over (the seed's "approaching").
    Approaching,
    /// The budget is used up.
    Over,
}

impl DataLimit {
    /// Where `used` bytes stand against `budget` (no budget: always under).
    pub fn of(used: u64, budget: Option<u64>) -> Self {
        match budget {
            Some(budget) if used >= budget => Self::Over,
            Some(budget) if u128::from(used) * 10 >= u128::from(budget) * 9 => Self::Approaching,
            _ => Self::Under,
        }
    }
}

/// Everything the cost table looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkState {
    #[serde(flatten)]
    pub conditions: Conditions,
    pub data_limit: DataLimit,
}

/// The decision for one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Gate {
    Run,
    /// Wait in this paused status until the conditions change.
    Wait(Status),
}

/// Whether an operation with `policy` may run under `state`, and if not, why.
///
/// No network comes first (nothing can run), then the seed's cost table, then the
/// power saver (which only `Always` ignores).
pub(super) fn decide(policy: CostPolicy, state: &NetworkState) -> Gate {
    let conditions = &state.conditions;
    if !conditions.online {
        return Gate::Wait(Status::PausedNoNetwork);
    }
    if !cost_allows(policy, state) {
        return Gate::Wait(Status::PausedCostedNetwork);
    }
    if conditions.power_saver && policy != CostPolicy::Always {
        return Gate::Wait(Status::PausedSystemPolicy);
    }
    Gate::Run
}

/// The seed's table ("BackgroundTransferCostPolicy"), row by row.
fn cost_allows(policy: CostPolicy, state: &NetworkState) -> bool {
    let conditions = &state.conditions;
    if !conditions.metered {
        // Row 1: an unrestricted network (Wi-Fi, Ethernet).
        return true;
    }
    match (state.data_limit, conditions.roaming) {
        // Row 5: over the data limit: nobody.
        (DataLimit::Over, _) => false,
        // Row 4: roaming, under the limit.
        (_, true) => policy == CostPolicy::Always,
        // Row 3: not roaming, under the limit but on track to exceed it.
        (DataLimit::Approaching, false) => policy == CostPolicy::Always,
        // Row 2: not roaming, under the limit and on track to stay under.
        (DataLimit::Under, false) => policy != CostPolicy::UnrestrictedOnly,
    }
}

/// The source of [`Conditions`]: the agent's system reader, or a test's fake.
pub trait NetworkMonitor: Send + Sync + std::fmt::Debug {
    /// The current conditions, updated as they change.
    fn watch(&self) -> watch::Receiver<Conditions>;
}

/// A monitor that never changes: for agents with no way to ask the system.
#[derive(Debug)]
pub struct FixedConditions(watch::Sender<Conditions>);

impl FixedConditions {
    pub fn new(conditions: Conditions) -> Self {
        Self(watch::Sender::new(conditions))
    }

    /// Change the conditions (tests, and a monitor built on top of this one).
    pub fn set(&self, conditions: Conditions) {
        self.0.send_replace(conditions);
    }
}

impl NetworkMonitor for FixedConditions {
    fn watch(&self) -> watch::Receiver<Conditions> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CostPolicy::{Always, Default as Normal, UnrestrictedOnly};

    fn state(metered: bool, roaming: bool, data_limit: DataLimit) -> NetworkState {
        NetworkState {
            conditions: Conditions {
                online: true,
                metered,
                roaming,
                power_saver: false,
            },
            data_limit,
        }
    }

    const RUN: Gate = Gate::Run;
    const COSTED: Gate = Gate::Wait(Status::PausedCostedNetwork);

    /// The seed's table: each row, then what UnrestrictedOnly, Default and Always get.
    #[test]
    fn the_seed_table_row_by_row() {
        let rows = [
            // Connected to Wi-Fi (unmetered); a data limit does not apply there.
            (state(false, false, DataLimit::Under), [RUN, RUN, RUN]),
            (state(false, false, DataLimit::Over), [RUN, RUN, RUN]),
            // Metered, not roaming, under the limit, on track to stay under.
            (state(true, false, DataLimit::Under), [COSTED, RUN, RUN]),
            // Metered, not roaming, under the limit, on track to exceed it.
            (
                state(true, false, DataLimit::Approaching),
                [COSTED, COSTED, RUN],
            ),
            // Metered, roaming, under the limit (on track either way).
            (state(true, true, DataLimit::Under), [COSTED, COSTED, RUN]),
            (
                state(true, true, DataLimit::Approaching),
                [COSTED, COSTED, RUN],
            ),
            // Metered, over the data limit, roaming or not.
            (
                state(true, false, DataLimit::Over),
                [COSTED, COSTED, COSTED],
            ),
            (state(true, true, DataLimit::Over), [COSTED, COSTED, COSTED]),
        ];
        for (state, expected) in rows {
            let got = [UnrestrictedOnly, Normal, Always].map(|p| decide(p, &state));
            assert_eq!(got, expected, "{state:?}");
        }
    }

    #[test]
    fn no_network_pauses_everything_first() {
        for policy in [UnrestrictedOnly, Normal, Always] {
            let mut offline = state(true, true, DataLimit::Over);
            offline.conditions.online = false;
            offline.conditions.power_saver = true;
            assert_eq!(
                decide(policy, &offline),
                Gate::Wait(Status::PausedNoNetwork)
            );
        }
    }

    #[test]
    fn power_saver_pauses_all_but_always() {
        let mut saving = state(false, false, DataLimit::Under);
        saving.conditions.power_saver = true;
        let system = Gate::Wait(Status::PausedSystemPolicy);
        assert_eq!(decide(UnrestrictedOnly, &saving), system);
        assert_eq!(decide(Normal, &saving), system);
        assert_eq!(decide(Always, &saving), RUN);
        // On a metered network the cost reason is the one to show.
        saving.conditions.metered = true;
        assert_eq!(decide(UnrestrictedOnly, &saving), COSTED);
    }

    #[test]
    fn the_budget_is_approaching_at_ninety_percent() {
        assert_eq!(DataLimit::of(10, None), DataLimit::Under);
        assert_eq!(DataLimit::of(899, Some(1000)), DataLimit::Under);
        assert_eq!(DataLimit::of(900, Some(1000)), DataLimit::Approaching);
        assert_eq!(DataLimit::of(999, Some(1000)), DataLimit::Approaching);
        assert_eq!(DataLimit::of(1000, Some(1000)), DataLimit::Over);
        assert_eq!(DataLimit::of(u64::MAX, Some(u64::MAX - 1)), DataLimit::Over);
    }
}
