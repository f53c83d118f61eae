//! Re-read tables put in place of the model's: whole tables, or the part a filtered dump
//! returned (a device's FDB entries, routes, neighbours).

use super::{set, sync_dels, sync_part, sync_sets, Fdbs, Fresh, Links, Neighs, Routes, Sink};
use crate::model::{Change, Link, NsState, Route, Tables};

impl NsState {
    /// Puts re-read tables in place of the model's, telling `cb` the exact difference.
    /// Returns the tables to read whole after all (a device's routes that a filtered read
    /// cannot settle).
    pub fn refresh(&mut self, fresh: Fresh, cb: &mut Sink) -> Tables {
        let mut again = Tables::default();
        let Fresh {
            links,
            routes,
            neighs,
            fdb,
            fdb_of,
            routes_of,
            neighs_of,
            vlans,
        } = fresh;
        let routes = routes.map(|r| self.with_hidden(r, false));
        if let Some(r) = &routes {
            sync_dels::<Routes>(self, r, cb);
        }
        if let Some(n) = &neighs {
            sync_dels::<Neighs>(self, n, cb);
        }
        if let Some(f) = &fdb {
            sync_dels::<Fdbs>(self, f, cb);
        }
        for (i, l) in links {
            match l {
                Some(l) => {
                    self.apply_with(Change::NewLink(l), cb);
                }
                None => self.del_link(i, cb),
            }
        }
        if let Some(mut v) = vlans {
            let changed: Vec<Link> = self
                .links
                .values()
                .filter_map(|l| {
                    let want = v.remove(&l.ifindex).unwrap_or_default();
                    (want != l.bridge_vlans).then(|| Link {
                        bridge_vlans: want,
                        ..l.clone()
                    })
                })
                .collect();
            for l in changed {
                set::<Links>(self, l.ifindex, l, cb);
            }
        }
        if let Some(r) = routes {
            sync_sets::<Routes>(self, r, cb);
        }
        if let Some((devs, r)) = routes_of {
            // A multipath route through the device may have lost just that hop (a nexthop
            // group does so unannounced), and a route through a nexthop object names no
            // device here: the filtered read cannot tell, the whole table can.
            let unsure = self.routes.values().any(|v| {
                (route_uses(v, &devs) && v.nexthops.len() > 1)
                    || (v.kind == crate::consts::RTN_UNICAST
                        && v.oif.is_none()
                        && v.nexthops.is_empty())
            });
            if unsure {
                again.routes = true;
            } else {
                let r = self.with_hidden(r, true);
                sync_part::<Routes>(self, r, |v| route_uses(v, &devs), cb);
            }
        }
        if let Some((devs, n)) = neighs_of {
            sync_part::<Neighs>(self, n, |v| devs.contains(&v.ifindex), cb);
        }
        if let Some(n) = neighs {
            sync_sets::<Neighs>(self, n, cb);
        }
        if let Some(f) = fdb {
            sync_sets::<Fdbs>(self, f, cb);
        }
        if let Some((devs, f)) = fdb_of {
            sync_part::<Fdbs>(self, f, |v| devs.contains(&v.ifindex), cb);
        }
        again
    }
}

/// Whether a route has a nexthop on one of `devs` (as the kernel's `dev` filter of a route
/// dump decides).
/// Cached routes (PMTU and redirect exceptions, `RTM_F_CLONED`) are left out: a filtered
/// dump does not return them.
fn route_uses(r: &Route, devs: &[u32]) -> bool {
    r.flags & RTM_F_CLONED == 0
        && (r.oif.is_some_and(|o| devs.contains(&o))
            || r.nexthops.iter().any(|h| devs.contains(&h.oif)))
}

/// `RTM_F_CLONED`: a cached route.
const RTM_F_CLONED: u32 = 0x200;
