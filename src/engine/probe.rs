//! Is the network there? Asked of the operation's own server: resolve its name,
//! open a TCP connection, close it. Used when no system service says whether the
//! machine is online, and to tell a lost network from a failing server.

use std::io::ErrorKind;
use std::time::Duration;

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reach {
    /// The server accepted a connection.
    Reachable,
    /// The network is down or gone: no route, no interface, no name service.
    NoNetwork,
    /// The network works as far as this machine can tell, but the server does
    /// not: refused, unknown name, or no answer at all. Silence is counted here
    /// because a server that drops connections must still fail in the end (with
    /// `Timeout`) rather than wait for ever; a machine that lost its network
    /// loses its routes and name service, which are seen at once.
    ServerProblem,
}

/// Check whether `url`'s server can be reached within `timeout`.
pub(super) async fn reach(url: &str, timeout: Duration) -> Reach {
    let Ok(url) = reqwest::Url::parse(url) else {
        return Reach::ServerProblem;
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Reach::ServerProblem;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await
    {
        Err(_) => return Reach::NoNetwork,
        Ok(Err(e)) => return name_failure(&e),
        Ok(Ok(addresses)) => addresses.collect::<Vec<_>>(),
    };
    let mut verdict = Reach::ServerProblem;
    for address in addresses.into_iter().take(3) {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(_)) => return Reach::Reachable,
            Ok(Err(e)) => {
                verdict = connect_failure(&e);
                if verdict == Reach::ServerProblem {
                    // Something answered, so the network works.
                    break;
                }
            }
            Err(_) => verdict = Reach::ServerProblem,
        }
    }
    verdict
}

fn connect_failure(error: &std::io::Error) -> Reach {
    match error.kind() {
        ErrorKind::NetworkUnreachable
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkDown
        | ErrorKind::AddrNotAvailable => Reach::NoNetwork,
        _ => Reach::ServerProblem,
    }
}

/// The system resolver says "temporary failure" when it cannot reach a name server,
/// and "not known" when a name server answered that the name does not exist.
fn name_failure(error: &std::io::Error) -> Reach {
    let message = error.to_string().to_ascii_lowercase();
    if message.contains("temporary failure") || message.contains("try again") {
        Reach::NoNetwork
    } else {
        Reach::ServerProblem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listening_server_is_reachable_and_a_closed_port_is_the_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let timeout = Duration::from_secs(2);
        assert_eq!(
            reach(&format!("http://127.0.0.1:{port}/x"), timeout).await,
            Reach::Reachable
        );
        drop(listener);
        assert_eq!(
            reach(&format!("http://127.0.0.1:{port}/x"), timeout).await,
            Reach::ServerProblem
        );
    }

    #[test]
    fn no_route_is_no_network() {
        let error = std::io::Error::from(ErrorKind::NetworkUnreachable);
        assert_eq!(connect_failure(&error), Reach::NoNetwork);
        let refused = std::io::Error::from(ErrorKind::ConnectionRefused);
        assert_eq!(connect_failure(&refused), Reach::ServerProblem);
    }
}
