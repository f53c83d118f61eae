//! An action input back as the words of `netlens plan`: what a fix shows and what the
//! UI's form is filled from. The inverse of the CLI's parsing (a test checks the round
//! trip for every action).

use super::ActionInput;
use crate::types::shell_quote;

fn flag(v: &mut Vec<String>, name: &str, value: &str) {
    v.push(name.to_owned());
    v.push(value.to_owned());
}

fn opt(v: &mut Vec<String>, name: &str, value: Option<&String>) {
    if let Some(x) = value {
        flag(v, name, x);
    }
}

fn num(v: &mut Vec<String>, name: &str, value: Option<u32>) {
    if let Some(x) = value {
        flag(v, name, &x.to_string());
    }
}

fn switch(v: &mut Vec<String>, name: &str, on: bool) {
    if on {
        v.push(name.to_owned());
    }
}

impl ActionInput {
    /// The action's name as the CLI takes it (`shim`, `vxlan-peer`…).
    pub fn name(&self) -> &'static str {
        match self {
            ActionInput::Shim(_) => "shim",
            ActionInput::Vlan(_) => "vlan",
            ActionInput::Vxlan(_) => "vxlan",
            ActionInput::VxlanPeer(_) => "vxlan-peer",
            ActionInput::Attach(_) => "attach",
            ActionInput::Route(_) => "route",
        }
    }

    /// The words after `netlens plan`: `["shim", "--parent", "eth0", "--ip", …]`.
    pub fn to_args(&self) -> Vec<String> {
        let mut v = vec![self.name().to_owned()];
        match self {
            ActionInput::Shim(i) => {
                flag(&mut v, "--parent", &i.parent);
                opt(&mut v, "--name", i.name.as_ref());
                opt(&mut v, "--ip", i.ip.as_ref());
                for t in &i.to {
                    flag(&mut v, "--to", t);
                }
                switch(&mut v, "--move-host-ip", i.move_host_ip);
            }
            ActionInput::Vlan(i) => {
                flag(&mut v, "--parent", &i.parent);
                flag(&mut v, "--id", &i.id.to_string());
                opt(&mut v, "--name", i.name.as_ref());
                opt(&mut v, "--ip", i.ip.as_ref());
                switch(&mut v, "--promisc", i.promisc);
                num(&mut v, "--mtu", i.mtu);
            }
            ActionInput::Vxlan(i) => {
                flag(&mut v, "--name", &i.name);
                flag(&mut v, "--vni", &i.vni.to_string());
                num(&mut v, "--port", i.port);
                flag(&mut v, "--local", &i.local);
                flag(&mut v, "--dev", &i.dev);
                switch(&mut v, "--learning", i.learning);
                flag(&mut v, "--ip", &i.ip);
                opt(&mut v, "--mac", i.mac.as_ref());
                num(&mut v, "--mtu", i.mtu);
            }
            ActionInput::VxlanPeer(i) => {
                flag(&mut v, "--dev", &i.dev);
                flag(&mut v, "--overlay-ip", &i.overlay_ip);
                flag(&mut v, "--mac", &i.mac);
                flag(&mut v, "--underlay", &i.underlay);
                for r in &i.routes {
                    flag(&mut v, "--route", r);
                }
            }
            ActionInput::Attach(i) => {
                flag(&mut v, "--parent", &i.parent);
                flag(&mut v, "--target", &i.target_ns);
                flag(&mut v, "--ip", &i.ip);
                flag(&mut v, "--gateway", &i.gateway);
                opt(&mut v, "--mode", i.mode.as_ref());
                switch(&mut v, "--veth", i.veth);
                opt(&mut v, "--name", i.name.as_ref());
                num(&mut v, "--mtu", i.mtu);
            }
            ActionInput::Route(i) => {
                flag(&mut v, "--dst", &i.dst);
                opt(&mut v, "--via", i.via.as_ref());
                opt(&mut v, "--dev", i.dev.as_ref());
                num(&mut v, "--metric", i.metric);
            }
        }
        v
    }

    /// `netlens plan --netns NS ACTION …`, every word quoted where a shell needs it.
    pub fn command_line(&self, netns: &str) -> String {
        let mut words = vec![
            "netlens".to_owned(),
            "plan".to_owned(),
            "--netns".to_owned(),
            netns.to_owned(),
        ];
        words.extend(self.to_args());
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use clap::{FromArgMatches, Subcommand};

    use super::super::{AttachInput, RouteInput, ShimInput, VlanInput, VxlanInput, VxlanPeerInput};
    use super::ActionInput;

    fn parse(args: &[String]) -> ActionInput {
        let cmd = ActionInput::augment_subcommands(clap::Command::new("plan").no_binary_name(true));
        let m = cmd
            .try_get_matches_from(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        ActionInput::from_arg_matches(&m).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn every_action_round_trips_through_its_words() {
        let inputs = [
            ActionInput::Shim(ShimInput {
                parent: "eth0".into(),
                name: Some("s$x".into()),
                ip: Some("10.0.0.250".into()),
                to: vec!["10.0.0.10".into(), "10.0.0.11/32".into()],
                move_host_ip: true,
            }),
            ActionInput::Vlan(VlanInput {
                parent: "eth0".into(),
                id: 100,
                name: None,
                ip: Some("10.1.0.1/24".into()),
                promisc: true,
                mtu: Some(1400),
            }),
            ActionInput::Vxlan(VxlanInput {
                name: "vx0".into(),
                vni: 42,
                port: Some(4789),
                local: "192.0.2.1".into(),
                dev: "eth0".into(),
                learning: false,
                ip: "10.9.0.1/24".into(),
                mac: Some("02:00:00:00:00:01".into()),
                mtu: None,
            }),
            ActionInput::VxlanPeer(VxlanPeerInput {
                dev: "vx0".into(),
                overlay_ip: "10.9.0.2".into(),
                mac: "02:00:00:00:00:02".into(),
                underlay: "192.0.2.2".into(),
                routes: vec!["10.20.0.0/16".into()],
            }),
            ActionInput::Attach(AttachInput {
                parent: "br0".into(),
                target_ns: "pod;1".into(),
                ip: "10.0.0.9/24".into(),
                gateway: "10.0.0.1".into(),
                mode: None,
                veth: true,
                name: Some("eth0".into()),
                mtu: Some(1500),
            }),
            ActionInput::Route(RouteInput {
                dst: "default".into(),
                via: Some("10.0.0.1".into()),
                dev: None,
                metric: Some(10),
            }),
        ];
        for i in inputs {
            assert_eq!(parse(&i.to_args()), i);
            assert!(i
                .command_line("host")
                .starts_with("netlens plan --netns host "));
        }
    }
}
