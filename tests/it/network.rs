//! Network awareness end to end: an agent whose system bus is a private bus with a
//! fake NetworkManager, ModemManager and power-profiles-daemon on it (pausing,
//! resuming, and the traffic counted as metered or not), and an agent whose link to
//! its server, across two network namespaces, is cut and restored.
//!
//! Each test skips with the reason printed where what it needs is missing
//! (dbus-daemon; root and `ip` for namespaces); `.ci/run` installs both.

use crate::support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::bus::{Killed, found, private_bus};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

/// NetworkManager's root object: the three properties the agent reads.
struct FakeNetworkManager {
    state: u32,
    connectivity: u32,
    metered: u32,
}

#[zbus::interface(name = "org.freedesktop.NetworkManager")]
impl FakeNetworkManager {
    #[zbus(property)]
    fn state(&self) -> u32 {
        self.state
    }

    #[zbus(property)]
    fn connectivity(&self) -> u32 {
        self.connectivity
    }

    #[zbus(property)]
    fn metered(&self) -> u32 {
        self.metered
    }
}

struct FakePowerProfiles {
    active: String,
}

#[zbus::interface(name = "org.freedesktop.UPower.PowerProfiles")]
impl FakePowerProfiles {
    #[zbus(property)]
    fn active_profile(&self) -> String {
        self.active.clone()
    }
}

/// A ModemManager modem's 3GPP interface: its registration (1 home, 5 roaming).
struct FakeModem {
    registration: u32,
}

#[zbus::interface(name = "org.freedesktop.ModemManager1.Modem.Modem3gpp")]
impl FakeModem {
    #[zbus(property)]
    fn registration_state(&self) -> u32 {
        self.registration
    }
}

/// ModemManager's object list: one modem with a 3GPP interface (its properties
/// are read from the modem itself).
struct FakeModemList;

type ManagedObjects = std::collections::HashMap<
    zbus::OwnedObjectPath,
    std::collections::HashMap<String, std::collections::HashMap<String, zbus::OwnedVariant>>,
>;

#[zbus::interface(name = "org.freedesktop.DBus.ObjectManager")]
impl FakeModemList {
    fn get_managed_objects(&self) -> ManagedObjects {
        let interfaces = std::collections::HashMap::from([(
            "org.freedesktop.ModemManager1.Modem.Modem3gpp".to_owned(),
            std::collections::HashMap::new(),
        )]);
        ManagedObjects::from([(
            zbus::OwnedObjectPath::try_from(MODEM_PATH).unwrap(),
            interfaces,
        )])
    }
}

const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const MODEM_PATH: &str = "/org/freedesktop/ModemManager1/Modem/0";
const POWER_PATH: &str = "/org/freedesktop/UPower/PowerProfiles";

/// The fake services, and ways to change them as the real ones would.
struct FakeSystem {
    connection: zbus::Connection,
}

impl FakeSystem {
    async fn start(address: &str) -> Self {
        let connection = zbus::connection::Builder::address(address)
            .name("org.freedesktop.NetworkManager")
            .name("org.freedesktop.UPower.PowerProfiles")
            .name("org.freedesktop.ModemManager1")
            .serve_at("/org/freedesktop/ModemManager1", FakeModemList)
            .serve_at(MODEM_PATH, FakeModem { registration: 1 })
            .serve_at(
                NM_PATH,
                FakeNetworkManager {
                    state: 70,
                    connectivity: 4,
                    metered: 2,
                },
            )
            .serve_at(
                POWER_PATH,
                FakePowerProfiles {
                    active: "balanced".into(),
                },
            )
            .build()
            .await
            .expect("the fake services are on the bus");
        Self { connection }
    }

    async fn network_manager(&self, change: impl FnOnce(&mut FakeNetworkManager)) {
        let iface = self
            .connection
            .object_server()
            .interface::<_, FakeNetworkManager>(NM_PATH)
            .await
            .unwrap();
        change(&mut *iface.get_mut().await);
        let emitter = iface.signal_emitter();
        let nm = iface.get().await;
        nm.state_changed(emitter).await.unwrap();
        nm.connectivity_changed(emitter).await.unwrap();
        nm.metered_changed(emitter).await.unwrap();
    }

    async fn modem_registration(&self, registration: u32) {
        let iface = self
            .connection
            .object_server()
            .interface::<_, FakeModem>(MODEM_PATH)
            .await
            .unwrap();
        iface.get_mut().await.registration = registration;
        iface
            .get()
            .await
            .registration_state_changed(iface.signal_emitter())
            .await
            .unwrap();
    }

    async fn power_profile(&self, profile: &str) {
        let iface = self
            .connection
            .object_server()
            .interface::<_, FakePowerProfiles>(POWER_PATH)
            .await
            .unwrap();
        iface.get_mut().await.active = profile.to_owned();
        iface
            .get()
            .await
            .active_profile_changed(iface.signal_emitter())
            .await
            .unwrap();
    }
}

async fn show(ferry: &Ferry, id: &str) -> Value {
    ferry.json(&["show", id, "--json"]).await
}

/// Poll `ferry show` until the operation's status is `status`.
async fn wait_for(ferry: &Ferry, id: &str, status: &str) -> Value {
    within(60, async {
        loop {
            let shown = show(ferry, id).await;
            if shown["status"] == status {
                return shown;
            }
            assert!(
                !["Completed", "Error", "Canceled"]
                    .contains(&shown["status"].as_str().unwrap_or("")),
                "expected {status}, ended: {shown}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

async fn get_detached(ferry: &Ferry, url: &str, more: &[&str]) -> String {
    let mut args = vec!["get", url, "--detach"];
    args.extend_from_slice(more);
    let out = ferry.run(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

fn assert_file(shown: &Value, body: &[u8]) {
    let destination = shown["destination"].as_str().unwrap();
    assert_eq!(sha256_file(Path::new(destination)), sha256(body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_manager_modem_manager_and_power_profiles_pause_and_resume_transfers() {
    if !found("dbus-daemon") {
        println!("skipped: dbus-daemon is not installed (apt-get install dbus-daemon)");
        return;
    }
    let Some((_bus, address)) = private_bus() else {
        println!("skipped: dbus-daemon would not start here");
        return;
    };
    let system = FakeSystem::start(&address).await;
    let server = TestServer::start().await;
    let careful_body = data(3 * MIB, 31);
    let normal_body = data(3 * MIB, 32);
    server.put(
        "/careful",
        Resource::new(careful_body.clone()).rate(MIB as u64),
    );
    server.put(
        "/normal",
        Resource::new(normal_body.clone()).rate(MIB as u64),
    );

    let ferry = Ferry::new();
    let agent = ferry.agent_on_system_bus(&address).await;
    let status = ferry.json(&["status", "--json"]).await;
    assert_eq!(status["network"]["online"], true, "{status}");
    assert_eq!(status["network"]["metered"], false, "{status}");

    let careful = get_detached(
        &ferry,
        &server.url("/careful"),
        &["--policy", "unrestricted-only"],
    )
    .await;
    let normal = get_detached(&ferry, &server.url("/normal"), &[]).await;
    wait_for(&ferry, &careful, "Running").await;

    // Metered: the careful one waits, the default one goes on.
    system.network_manager(|nm| nm.metered = 1).await;
    let waiting = wait_for(&ferry, &careful, "PausedCostedNetwork").await;
    let status = ferry.json(&["status", "--json"]).await;
    assert_eq!(status["network"]["metered"], true, "{status}");
    let normal_shown = show(&ferry, &normal).await;
    assert_eq!(normal_shown["status"], "Running", "{normal_shown}");
    let list = text(&ferry.run(&["list"]).await.stdout);
    assert!(list.contains("Metered"), "{list}");
    let held = waiting["bytes"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        show(&ferry, &careful).await["bytes"].as_u64().unwrap(),
        held
    );

    // Unmetered again: it resumes by itself.
    system.network_manager(|nm| nm.metered = 2).await;
    wait_for(&ferry, &careful, "Running").await;

    // No connectivity: everything waits, and no retry is spent.
    system.network_manager(|nm| nm.connectivity = 1).await;
    let offline = wait_for(&ferry, &careful, "PausedNoNetwork").await;
    assert_eq!(offline["attempts"], 0);
    let status = ferry.json(&["status", "--json"]).await;
    assert_eq!(status["network"]["online"], false, "{status}");
    system.network_manager(|nm| nm.connectivity = 4).await;

    let done = within(60, async {
        loop {
            let shown = show(&ferry, &careful).await;
            if shown["status"] == "Completed" {
                return shown;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(done["attempts"], 0, "{done}");
    assert_file(&done, &careful_body);
    let wait = ferry.run(&["wait", &normal]).await;
    assert!(wait.status.success(), "{}", text(&wait.stderr));
    assert_file(&show(&ferry, &normal).await, &normal_body);

    // Power saver: everything but `always` waits.
    let saver_body = data(MIB, 33);
    let always_body = data(MIB, 34);
    server.put("/saver", Resource::new(saver_body.clone()).rate(MIB as u64));
    server.put("/always", Resource::new(always_body.clone()));
    system.power_profile("power-saver").await;
    within(30, async {
        loop {
            let status = ferry.json(&["status", "--json"]).await;
            if status["network"]["power_saver"] == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let saver = get_detached(&ferry, &server.url("/saver"), &[]).await;
    let always = get_detached(&ferry, &server.url("/always"), &["--policy", "always"]).await;
    wait_for(&ferry, &saver, "PausedSystemPolicy").await;
    let wait = ferry.run(&["wait", &always]).await;
    assert!(wait.status.success(), "{}", text(&wait.stderr));
    assert_file(&show(&ferry, &always).await, &always_body);
    assert_eq!(show(&ferry, &saver).await["status"], "PausedSystemPolicy");

    // The policy can change while it waits: `always` runs now.
    let changed = ferry.run(&["policy", &saver, "always"]).await;
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    let wait = ferry.run(&["wait", &saver]).await;
    assert!(wait.status.success(), "{}", text(&wait.stderr));
    assert_file(&show(&ferry, &saver).await, &saver_body);

    // Roaming on a metered network: `default` waits too (the seed's fourth row).
    system.power_profile("balanced").await;
    system.network_manager(|nm| nm.metered = 1).await;
    system.modem_registration(5).await;
    within(30, async {
        loop {
            let status = ferry.json(&["status", "--json"]).await;
            let network = &status["network"];
            if network["roaming"] == true && network["power_saver"] == false {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let roaming_body = data(MIB, 35);
    server.put("/roaming", Resource::new(roaming_body.clone()));
    let roaming = get_detached(&ferry, &server.url("/roaming"), &[]).await;
    wait_for(&ferry, &roaming, "PausedCostedNetwork").await;
    // Home network again, still metered: `default` may run.
    system.modem_registration(1).await;
    let wait = ferry.run(&["wait", &roaming]).await;
    assert!(wait.status.success(), "{}", text(&wait.stderr));
    assert_file(&show(&ferry, &roaming).await, &roaming_body);

    // Traffic history: what moves while NetworkManager says metered counts as
    // metered; once it says unmetered, not; the counts outlive the agent.
    let totals = |days: &Value| -> (u64, u64) {
        let days = days.as_array().unwrap();
        let sum = |field: &str| days.iter().map(|d| d[field].as_u64().unwrap()).sum();
        (sum("downloaded"), sum("downloaded_metered"))
    };
    let before = totals(&ferry.json(&["stats", "--json"]).await);
    server.put("/paid", Resource::new(data(512 * 1024, 36)));
    let out = ferry.run(&["get", &server.url("/paid")]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let metered = totals(&ferry.json(&["stats", "--json"]).await);
    assert_eq!(
        (metered.0 - before.0, metered.1 - before.1),
        (512 * 1024, 512 * 1024),
        "on the metered network"
    );
    system.network_manager(|nm| nm.metered = 2).await;
    within(30, async {
        while ferry.json(&["status", "--json"]).await["network"]["metered"] != false {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    server.put("/free", Resource::new(data(256 * 1024, 37)));
    let out = ferry.run(&["get", &server.url("/free")]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = totals(&ferry.json(&["stats", "--json"]).await);
    assert_eq!(
        (after.0 - metered.0, after.1 - metered.1),
        (256 * 1024, 0),
        "unmetered: not counted as metered"
    );
    let out = ferry.run(&["quit"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    drop(agent);
    assert_eq!(
        totals(&ferry.json(&["stats", "--json"]).await),
        after,
        "the next agent reads the same counts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_budget_holds_transfers_back_as_the_seed_table_says_and_is_remembered() {
    use ferry::engine::{Conditions, CostPolicy, DataLimit, FixedConditions, Request, Status};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut options = options(dir.path());
    // 4 MiB, so that the 10 % between "approaching" and "over" (410 KB) is more
    // than a loaded machine lets through between two progress ticks at 1 MiB/s.
    const BUDGET: u64 = 4 * MIB as u64;
    options.data_budget = Some(BUDGET);
    let engine = open(options.clone()).await;
    let mut events = engine.subscribe();
    let network = FixedConditions::new(Conditions {
        metered: true,
        ..Conditions::default()
    });
    engine.follow_network(&network);

    // A `default` transfer runs on a metered network until 90 % of the budget.
    let big = data(5 * MIB, 51);
    server.put("/big", Resource::new(big.clone()).rate(MIB as u64));
    let big_id = engine
        .create(Request::download(server.url("/big"), None))
        .await
        .unwrap()
        .id;
    wait_status(&engine, &mut events, big_id, Status::PausedCostedNetwork).await;
    let usage = engine.data_usage();
    assert!(usage.bytes >= BUDGET * 9 / 10, "{usage:?}");
    assert!(usage.bytes < BUDGET, "{usage:?}");
    assert_eq!(engine.network_state().data_limit, DataLimit::Approaching);

    // `always` still runs while approaching…
    let small = data(20 * 1024, 52);
    server.put("/small", Resource::new(small.clone()));
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/small"), None).policy(CostPolicy::Always),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    // …but not once the budget is used up.
    server.put(
        "/more",
        Resource::new(data(800 * 1024, 53)).rate(200 * 1024),
    );
    let more = engine
        .create(Request::download(server.url("/more"), None).policy(CostPolicy::Always))
        .await
        .unwrap()
        .id;
    wait_status(&engine, &mut events, more, Status::PausedCostedNetwork).await;
    assert_eq!(engine.network_state().data_limit, DataLimit::Over);

    // An unmetered network: both go on and finish right.
    network.set(Conditions::default());
    let done = wait_finished(&engine, &mut events, big_id).await;
    assert_eq!(done.status, Status::Completed);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&big)
    );
    wait_finished(&engine, &mut events, more).await;
    let counted = engine.data_usage().bytes;
    assert!((BUDGET..2 * BUDGET).contains(&counted), "{counted}");

    // The month's count survives a restart.
    engine.shutdown().await;
    let engine = open(options).await;
    assert_eq!(engine.data_usage().bytes, counted);
    assert_eq!(engine.network_state().data_limit, DataLimit::Over);
}

/// Names that are this test run's own.
struct Namespaces {
    client: String,
    server: String,
}

impl Namespaces {
    /// Two namespaces joined by a veth pair: 10.231.0.1 (client) – 10.231.0.2
    /// (server). `which` tells apart the pairs of tests that run at once.
    fn create(which: u32) -> Result<Self, String> {
        let tag = std::process::id() % 100_000 * 10 + which;
        let made = Self {
            client: format!("ferry-c{tag}"),
            server: format!("ferry-s{tag}"),
        };
        let (c, s) = (made.client.as_str(), made.server.as_str());
        let (vc, vs) = (format!("fc{tag}"), format!("fs{tag}"));
        let steps: Vec<Vec<&str>> = vec![
            vec!["netns", "add", c],
            vec!["netns", "add", s],
            vec!["link", "add", &vc, "type", "veth", "peer", "name", &vs],
            vec!["link", "set", &vc, "netns", c],
            vec!["link", "set", &vs, "netns", s],
            vec!["-n", c, "addr", "add", "10.231.0.1/24", "dev", &vc],
            vec!["-n", s, "addr", "add", "10.231.0.2/24", "dev", &vs],
            vec!["-n", c, "link", "set", &vc, "up"],
            vec!["-n", s, "link", "set", &vs, "up"],
            vec!["-n", c, "link", "set", "lo", "up"],
            vec!["-n", s, "link", "set", "lo", "up"],
        ];
        for step in steps {
            ip(&step)?;
        }
        Ok(made)
    }

    fn client_link(&self) -> String {
        format!("fc{}", &self.client["ferry-c".len()..])
    }

    /// Take the link down for `outage`, then up again.
    async fn cut_link(&self, outage: Duration) {
        let link = self.client_link();
        ip(&["-n", &self.client, "link", "set", &link, "down"]).unwrap();
        tokio::time::sleep(outage).await;
        ip(&["-n", &self.client, "link", "set", &link, "up"]).unwrap();
    }

    /// A listener on `address` inside the server's namespace: the socket lives
    /// there while this process serves it.
    fn listen_on_server(&self, address: &str) -> std::net::TcpListener {
        use std::os::fd::AsFd as _;
        let path = format!("/var/run/netns/{}", self.server);
        let address = address.to_owned();
        // A thread of its own enters the namespace; it ends with the thread.
        std::thread::spawn(move || {
            let namespace = std::fs::File::open(&path).unwrap();
            rustix::thread::move_into_link_name_space(
                namespace.as_fd(),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .unwrap();
            std::net::TcpListener::bind(&address).unwrap()
        })
        .join()
        .unwrap()
    }

    /// `ferry agent` inside the client's namespace; the test talks to it over its
    /// socket (a file, reachable from here).
    async fn agent(&self, ferry: &Ferry) -> Killed {
        let agent = Killed(
            std::process::Command::new("ip")
                .args(["netns", "exec", &self.client])
                .arg(env!("CARGO_BIN_EXE_ferry"))
                .arg("agent")
                .env("FERRY_DATA_DIR", ferry.data_dir())
                .env("FERRY_CONFIG", ferry.dir.path().join("config.toml"))
                .env("FERRY_HEADLESS", "1")
                .env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent")
                .env_remove("DISPLAY")
                .env_remove("WAYLAND_DISPLAY")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        within(30, async {
            while !ferry.data_dir().join("agent.sock").exists() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        agent
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.client]);
        let _ = ip(&["netns", "del", &self.server]);
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

const SERVE_ENV: &str = "FERRY_TEST_SERVE_ON";
const BODY_LEN: usize = 6 * MIB;
const BODY_SEED: u64 = 41;
const BODY_RATE: u64 = MIB as u64;

/// Not a test of its own: the server the link test runs inside its namespace
/// (this test binary, started again with `SERVE_ENV` set). Returns at once otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_inside_a_namespace() {
    let Ok(address) = std::env::var(SERVE_ENV) else {
        return;
    };
    let server = TestServer::start_on(address.parse().unwrap()).await;
    server.put(
        "/big.bin",
        Resource::new(data(BODY_LEN, BODY_SEED)).rate(BODY_RATE),
    );
    println!("ready");
    // Lives until the test kills it.
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_link_pauses_without_spending_retries_and_the_download_completes() {
    if !found("ip") {
        println!("skipped: `ip` is not installed (apt-get install iproute2)");
        return;
    }
    let namespaces = match Namespaces::create(0) {
        Ok(namespaces) => namespaces,
        Err(e) => {
            println!("skipped: cannot make network namespaces here (needs root): {e}");
            return;
        }
    };
    // The server, inside its namespace.
    let mut server = std::process::Command::new("ip")
        .args(["netns", "exec", &namespaces.server])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "network::serve_inside_a_namespace",
            "--nocapture",
        ])
        .env(SERVE_ENV, "10.231.0.2:8080")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = {
        use std::io::BufRead as _;
        let stdout = server.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("ready"))
    };
    let _server = Killed(server);
    assert!(ready, "the server in the namespace started");

    // The agent, inside the other namespace; the test talks to it over its socket.
    // A short stall timeout makes the cut show quickly.
    let ferry = Ferry::with_config("[timeouts]\nstall = 1\nconnect = 3\n[retries]\nmax = 3\n");
    let agent = namespaces.agent(&ferry).await;

    // The agent's log tells what happened if this test fails.
    let _log = PrintLogOnPanic(ferry.data_dir().join("ferry.log"));
    let id = get_detached(&ferry, "http://10.231.0.2:8080/big.bin", &[]).await;
    within(30, async {
        loop {
            let shown = show(&ferry, &id).await;
            if shown["status"] == "Running" && shown["bytes"].as_u64().unwrap_or(0) > MIB as u64 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;

    // Cut the link for a few seconds.
    let link = namespaces.client_link();
    ip(&["-n", &namespaces.client, "link", "set", &link, "down"]).unwrap();
    let waiting = wait_for(&ferry, &id, "PausedNoNetwork").await;
    assert_eq!(waiting["attempts"], 0, "{waiting}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(show(&ferry, &id).await["status"], "PausedNoNetwork");
    ip(&["-n", &namespaces.client, "link", "set", &link, "up"]).unwrap();

    let wait = ferry.run(&["wait", &id]).await;
    assert!(wait.status.success(), "{}", text(&wait.stderr));
    let done = show(&ferry, &id).await;
    assert_eq!(done["attempts"], 0, "no retry was spent: {done}");
    assert_file(&done, &data(BODY_LEN, BODY_SEED));
    drop(agent);
    println!(
        "reliability: network link cut (namespace) mid-download | 1 | waited without spending retries, completed byte-exact once back"
    );
}

/// Prints a log file when the test fails.
struct PrintLogOnPanic(std::path::PathBuf);

impl Drop for PrintLogOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.0).unwrap_or_default();
            eprintln!("--- {} ---\n{log}", self.0.display());
        }
    }
}

/// Upload `file` (`ferry upload … --detach` with `extra`), wait until `at_least`
/// bytes went, then let `fault` happen; the operation's id once it completed.
async fn upload_through<F: Future<Output = ()>>(
    ferry: &Ferry,
    url: &str,
    file: &Path,
    extra: &[&str],
    fault: F,
) -> String {
    let mut args = vec!["upload", url, file.to_str().unwrap(), "--detach"];
    args.extend_from_slice(extra);
    let out = ferry.run(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    within(30, async {
        while show(ferry, &id).await["bytes"].as_u64().unwrap_or(0) < 2 * MIB as u64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    fault.await;
    let wait = ferry.run(&["wait", &id]).await;
    assert!(
        wait.status.success(),
        "{}\n{}",
        text(&wait.stderr),
        show(ferry, &id).await
    );
    id
}

/// Uploads across two namespaces: the link cut for 5 s, and the server killed
/// (every connection ends) and back 3 s later, during a plain PUT and during a
/// tus upload. Each ends with the server's copy byte-exact; the tus upload goes
/// on at the server's offset, never sending at a wrong one, and stays one upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_outlast_a_cut_link_and_a_server_that_dies() {
    use support::uploads::{Sink, Tus};
    if !found("ip") {
        println!("skipped: `ip` is not installed (apt-get install iproute2)");
        return;
    }
    let namespaces = match Namespaces::create(1) {
        Ok(namespaces) => namespaces,
        Err(e) => {
            println!("skipped: cannot make network namespaces here (needs root): {e}");
            return;
        }
    };
    const ADDRESS: &str = "10.231.0.2:8080";
    let mut server = TestServer::start_listening(namespaces.listen_on_server(ADDRESS));
    let rate = Some(MIB as u64);
    server.sink(
        "/dav/put.bin",
        Sink {
            read_rate: rate,
            ..Sink::ok("stored")
        },
    );
    server.tus(
        "/files/",
        Tus {
            read_rate: rate,
            ..Tus::default()
        },
    );
    let ferry = Ferry::with_config(
        // The server reads 1 MiB/s: a body the socket buffers took whole is
        // still being read seconds after it was sent, so the answer may come late.
        "[timeouts]\nstall = 1\nconnect = 3\nresponse = 30\n[retries]\nmax = 3\nbase_delay = 1\nmax_delay = 4\n",
    );
    let _agent = namespaces.agent(&ferry).await;
    let _log = PrintLogOnPanic(ferry.data_dir().join("ferry.log"));
    let body = data(6 * MIB, 43);
    let file = ferry.dir.path().join("upload.bin");
    std::fs::write(&file, &body).unwrap();
    let put_url = format!("http://{ADDRESS}/dav/put.bin");
    let tus_url = format!("http://{ADDRESS}/files/");
    let cut = || namespaces.cut_link(Duration::from_secs(5));

    // A plain PUT: sent again from zero after each fault.
    let put = ["--method", "put"];
    upload_through(&ferry, &put_url, &file, &put, cut()).await;
    let last = server.received("/dav/put.bin").pop().unwrap();
    assert!(
        last.complete && last.body.as_deref() == Some(&body[..]),
        "PUT after a cut link"
    );

    let listener = || namespaces.listen_on_server(ADDRESS);
    let server_dies = async {
        server.kill();
        tokio::time::sleep(Duration::from_secs(3)).await;
        server.revive(listener());
    };
    upload_through(&ferry, &put_url, &file, &put, server_dies).await;
    let last = server.received("/dav/put.bin").pop().unwrap();
    assert!(
        last.complete && last.body.as_deref() == Some(&body[..]),
        "PUT after the server died"
    );

    // tus: resumed at the server's offset after each fault, one upload each time.
    upload_through(&ferry, &tus_url, &file, &["--tus"], cut()).await;
    let server_dies = async {
        server.kill();
        tokio::time::sleep(Duration::from_secs(3)).await;
        server.revive(listener());
    };
    upload_through(&ferry, &tus_url, &file, &["--tus"], server_dies).await;
    let uploads = server.tus_uploads();
    assert_eq!(
        uploads.len(),
        2,
        "one tus upload per operation, none created again"
    );
    for upload in &uploads {
        assert!(
            upload.data == body,
            "the tus upload {} arrived whole",
            upload.id
        );
    }
    assert_eq!(
        server.tus_conflicts(),
        0,
        "no PATCH at an offset the server did not hold"
    );
    let patches = server
        .seen_all()
        .iter()
        .filter(|s| s.method == "PATCH")
        .count();
    println!("tus: {patches} PATCH requests for two uploads through two faults");
    println!(
        "reliability: uploads (PUT and tus) through a link cut for 5 s and a server killed for 3 s (namespaces) | 4 | PUT sent again, tus resumed at the server's offset; every copy byte-exact"
    );
}
