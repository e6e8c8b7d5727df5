//! Connections counted per peer, so that one client cannot take every connection slot: a
//! connection from a peer that already holds its cap is closed at once, while the other peers
//! still find room under the server's total.
//!
//! A peer is an IPv4 address, or an IPv6 /64 (a single host commonly holds a whole /64, so
//! counting /128s would cap nothing). IPv4-mapped IPv6 addresses count as their IPv4 address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

/// The open connections of every peer, against a cap per peer.
#[derive(Debug)]
pub(crate) struct Peers {
    cap: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl Peers {
    pub(crate) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self { cap, open: Mutex::new(HashMap::new()) })
    }

    /// A slot for a connection from `ip`, or None if that peer holds its cap already.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<PeerSlot> {
        let peer = peer_of(ip);
        // No code panics while holding the lock; a poisoned map is still consistent.
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(peer).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(PeerSlot { peers: Arc::clone(self), peer })
    }
}

/// One connection of a peer; released when dropped.
#[derive(Debug)]
pub(crate) struct PeerSlot {
    peers: Arc<Peers>,
    peer: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.peers.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

/// The peer an address counts for.
fn peer_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_peer_is_capped_and_its_slots_come_back() {
        let peers = Peers::new(2);
        let a1 = peers.admit(ip("127.0.0.1")).unwrap();
        let _a2 = peers.admit(ip("127.0.0.1")).unwrap();
        assert!(peers.admit(ip("127.0.0.1")).is_none());
        // Another peer is not affected.
        let _b = peers.admit(ip("127.0.0.2")).unwrap();
        drop(a1);
        let _a3 = peers.admit(ip("127.0.0.1")).unwrap();
        assert!(peers.admit(ip("127.0.0.1")).is_none());
    }

    #[test]
    fn an_ipv6_peer_is_its_slash_64() {
        let peers = Peers::new(1);
        let _a = peers.admit(ip("2001:db8:1:2::1")).unwrap();
        assert!(peers.admit(ip("2001:db8:1:2:ffff::9")).is_none());
        let _b = peers.admit(ip("2001:db8:1:3::1")).unwrap();
        let _c = peers.admit(ip("10.0.0.1")).unwrap();
        assert!(peers.admit(ip("::ffff:10.0.0.1")).is_none());
        // Released slots leave no entry behind.
        drop(_b);
        assert!(!peers.open.lock().unwrap().contains_key(&ip("2001:db8:1:3::")));
    }
}
