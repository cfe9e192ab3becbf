//! `SessionSlot`: the session a local listener forwards through, either one fixed session or
//! a swappable one that is down between connections (reconnect), so listeners outlive it.

use std::sync::Arc;

use burrow::{Error, Session};
use tokio::sync::watch;

/// What a swappable slot holds.
#[derive(Debug, Clone)]
enum State {
    /// No connection now; one may come (a reconnect is under way).
    Down,
    /// The current connection.
    Up(Session),
    /// No connection will come any more: listeners stop, with this reason.
    Ended(Arc<Error>),
}

/// The session behind a listener. `From<&Session>` gives a fixed slot (the listener ends with
/// the session); [`SessionSlot::swappable`] one that the caller fills with each new
/// connection ([`set`](Self::set)), empties while reconnecting ([`set_down`](Self::set_down))
/// and finally ends ([`end`](Self::end)).
#[derive(Debug, Clone)]
pub struct SessionSlot {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Fixed(Session),
    Swappable(Arc<watch::Sender<State>>),
}

impl From<&Session> for SessionSlot {
    fn from(session: &Session) -> Self {
        Self {
            inner: Inner::Fixed(session.clone()),
        }
    }
}

impl From<Session> for SessionSlot {
    fn from(session: Session) -> Self {
        Self {
            inner: Inner::Fixed(session),
        }
    }
}

impl From<&SessionSlot> for SessionSlot {
    fn from(slot: &SessionSlot) -> Self {
        slot.clone()
    }
}

impl SessionSlot {
    /// An empty swappable slot (down until [`set`](Self::set)).
    pub fn swappable() -> Self {
        Self {
            inner: Inner::Swappable(Arc::new(watch::Sender::new(State::Down))),
        }
    }

    /// Makes `session` the current connection (swappable slots; ignored on a fixed one).
    pub fn set(&self, session: &Session) {
        self.replace(State::Up(session.clone()));
    }

    /// No connection for now: new local connections wait (swappable slots).
    pub fn set_down(&self) {
        self.replace(State::Down);
    }

    /// No connection will come any more: waiting connections and listeners end with `why`.
    pub fn end(&self, why: Arc<Error>) {
        self.replace(State::Ended(why));
    }

    fn replace(&self, state: State) {
        if let Inner::Swappable(tx) = &self.inner {
            tx.send_replace(state);
        }
    }

    /// The current session if it is up and not closed, without waiting.
    pub fn current(&self) -> Option<Session> {
        match &self.inner {
            Inner::Fixed(s) => Some(s.clone()),
            Inner::Swappable(tx) => match &*tx.borrow() {
                State::Up(s) if !s.is_closed() => Some(s.clone()),
                _ => None,
            },
        }
    }

    /// Waits for a live session; the error once none will come (a fixed slot's session
    /// closed, or [`end`](Self::end)).
    pub async fn session(&self) -> Result<Session, Arc<Error>> {
        let tx = match &self.inner {
            Inner::Fixed(s) if s.is_closed() => return Err(s.closed().await),
            Inner::Fixed(s) => return Ok(s.clone()),
            Inner::Swappable(tx) => tx,
        };
        let mut rx = tx.subscribe();
        loop {
            match rx.borrow_and_update().clone() {
                State::Up(s) if !s.is_closed() => return Ok(s),
                State::Ended(e) => return Err(e),
                State::Up(_) | State::Down => {}
            }
            // The sender lives in `self`: changed() cannot fail while we hold it.
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Completes when no session will come any more, with the reason.
    pub async fn ended(&self) -> Arc<Error> {
        match &self.inner {
            Inner::Fixed(s) => s.closed().await,
            Inner::Swappable(tx) => {
                let mut rx = tx.subscribe();
                loop {
                    if let State::Ended(e) = &*rx.borrow_and_update() {
                        return e.clone();
                    }
                    if rx.changed().await.is_err() {
                        return std::future::pending().await;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burrow::{ErrorKind, Phase};
    use std::time::Duration;

    #[tokio::test]
    async fn a_swappable_slot_waits_while_down_and_errs_once_ended() {
        let slot = SessionSlot::swappable();
        assert!(slot.current().is_none());
        let waiter = tokio::spawn({
            let slot = slot.clone();
            async move { slot.session().await.map(drop) }
        });
        let ended = tokio::spawn({
            let slot = slot.clone();
            async move { slot.ended().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished() && !ended.is_finished());
        slot.set_down();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "down again is not an end");
        slot.end(Arc::new(Error::new(
            "test",
            Phase::Connection,
            ErrorKind::LocallyClosed,
        )));
        let e = waiter.await.unwrap().unwrap_err();
        assert!(matches!(*e.kind, ErrorKind::LocallyClosed));
        assert!(matches!(
            *ended.await.unwrap().kind,
            ErrorKind::LocallyClosed
        ));
        assert!(slot.current().is_none());
    }
}
