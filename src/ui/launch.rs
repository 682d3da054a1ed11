//! Starting the desktop app: the agent (engine and socket) on a tokio runtime of
//! its own, the iced daemon on the main thread. If iced cannot start (no usable
//! display after all), the agent goes on headless until it is told to quit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc};

use ferry::agent::{Agent, Desktop, Offer};

use super::backend::Backend;
use super::{App, Reply, Setup};

/// Whether a graphical session is there to open windows on.
pub fn display_available() -> bool {
    if std::env::var_os("FERRY_HEADLESS").is_some() {
        return false;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Tells the app, through its reply channel, what the agent wants of the window.
struct WindowRequests(mpsc::UnboundedSender<Reply>);

impl Desktop for WindowRequests {
    fn show_window(&self) {
        let _ = self.0.send(Reply::ShowWindow);
    }

    fn offer(&self, offer: Arc<Offer>) {
        let _ = self.0.send(Reply::Offer(offer));
    }

    fn withdraw(&self, offer: Arc<Offer>) {
        let _ = self.0.send(Reply::OfferWithdrawn(offer));
    }

    fn pick_links(&self, requests: Vec<ferry::engine::Request>) {
        let _ = self.0.send(Reply::Links(requests));
    }
}

/// Run the agent with its desktop app until quit.
pub fn run(data_dir: PathBuf, config_path: PathBuf, open_window: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let Some(agent) = runtime.block_on(Agent::start(data_dir, config_path.clone()))? else {
        // Stopped while opening: the store's own thread may still be reading.
        runtime.shutdown_timeout(std::time::Duration::from_millis(250));
        return Ok(());
    };
    let config = agent.config().clone();
    let when_done = agent.when_done();
    let backend = Backend::new(agent.engine(), runtime.handle().clone());
    let replies = backend.sender();
    let quit = Arc::new(Notify::new());
    let desktop: Arc<dyn Desktop> = Arc::new(WindowRequests(replies.clone()));
    let serving = runtime.spawn({
        let quit = Arc::clone(&quit);
        async move {
            agent.serve(Some(desktop), quit).await;
            // Every transfer is checkpointed: the app may end.
            let _ = replies.send(Reply::ShutDown);
        }
    });

    let tray_host = runtime.block_on(crate::platform::tray::host_available());
    if !tray_host {
        tracing::info!("no tray host on the session bus: no tray icon");
    }
    let setup = Mutex::new(Some(Setup {
        backend,
        config,
        config_path,
        quit: Arc::clone(&quit),
        open_window,
        notifier: crate::platform::notify::Notifier::new(runtime.handle().clone()),
        tray_host,
        when_done,
    }));
    let boot = move || {
        let setup = setup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .expect("the app boots once");
        App::new(setup)
    };
    let result = iced::daemon(boot, App::update, App::view)
        .title(App::title)
        .theme(App::theme)
        .font(super::theme::ICON_FONT_BYTES)
        .subscription(App::subscription)
        .run();
    if let Err(e) = result {
        tracing::error!(error = %e, "the desktop app cannot run; the agent goes on without it");
        eprintln!("ferry: no window ({e}); transfers go on in the background");
    }
    // Either the app ended after the agent stopped, or it could not run: wait
    // for the agent (it stops on `ferry quit` or a signal).
    let _ = runtime.block_on(serving);
    Ok(())
}
