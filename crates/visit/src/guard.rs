//! The SSRF guard: which addresses kaibo may connect to when it follows a phishing link.
//!
//! A link in a mail is chosen by the attacker, and so is every redirect after it. Visiting it
//! from inside a network must never reach that network: a link (or a redirect, or a name that
//! resolves there) pointing at `127.0.0.1`, `10.0.0.1` or the cloud metadata service
//! `169.254.169.254` would make kaibo an attacker's probe. So kaibo resolves every host name
//! itself, checks every address here, and connects only to an address that passed (the
//! connection is pinned to it; nobody resolves the name a second time). The check runs on the
//! first request, on every redirect, and on every connection the browser makes through kaibo's
//! proxy.
//!
//! Refused: the unspecified, loopback, private (RFC 1918), shared/CGNAT (RFC 6598), link-local,
//! multicast, broadcast, reserved, documentation and benchmarking ranges; IPv6 unique-local,
//! link-local, site-local and multicast; and IPv6 forms that carry an IPv4 address (mapped,
//! compatible, NAT64, 6to4) are judged by the IPv4 address inside. Teredo is refused outright
//! (its embedded address is obfuscated and it tunnels anywhere).
//!
//! The [`AllowList`] exists for tests, which serve pages on 127.0.0.1: it is empty unless a
//! configuration file names addresses, and kaibo says so in the output when it is not.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an address may not be visited, or `None` when it is a public unicast address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    // Most specific first, so the metadata address is named as such.
    const TABLE: &[([u8; 4], u32, &str)] = &[
        ([169, 254, 169, 254], 32, "the cloud metadata service"),
        ([0, 0, 0, 0], 8, "\"this network\" (unspecified)"),
        ([10, 0, 0, 0], 8, "a private address (RFC 1918)"),
        ([100, 64, 0, 0], 10, "shared address space (CGNAT, RFC 6598)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "a private address (RFC 1918)"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments"),
        ([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
        ([192, 88, 99, 0], 24, "the 6to4 relay anycast"),
        ([192, 168, 0, 0], 16, "a private address (RFC 1918)"),
        ([198, 18, 0, 0], 15, "benchmarking (RFC 2544)"),
        ([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
        ([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved (or broadcast)"),
    ];
    TABLE.iter().find(|(net, prefix, _)| in_v4(ip, *net, *prefix)).map(|(_, _, why)| *why)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    let bits = u128::from(ip);
    let in_v6 = |net: u128, prefix: u32| {
        let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
        bits & mask == net & mask
    };
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible form (::a.b.c.d).
    if in_v6(0xffff_0000_0000, 96) || in_v6(0, 96) {
        return forbidden_v4(Ipv4Addr::from(bits as u32)).or(if in_v6(0, 96) {
            Some("a deprecated IPv4-compatible address")
        } else {
            None
        });
    }
    // NAT64 well-known prefix: judged by the IPv4 address it translates to.
    if in_v6(0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        return forbidden_v4(Ipv4Addr::from(bits as u32));
    }
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    if seg[0] == 0x2002 {
        let v4 = Ipv4Addr::from(((seg[1] as u32) << 16) | seg[2] as u32);
        return forbidden_v4(v4);
    }
    const TABLE: &[(u128, u32, &str)] = &[
        (0xfd00_0ec2_0000_0000_0000_0000_0000_0254, 128, "the cloud metadata service"),
        (0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48, "local-use NAT64"),
        (0x0100_0000_0000_0000_0000_0000_0000_0000, 64, "discard-only"),
        (0x2001_0000_0000_0000_0000_0000_0000_0000, 32, "Teredo (tunnels to an obfuscated IPv4 address)"),
        (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32, "documentation"),
        (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7, "a unique-local address (private)"),
        (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10, "link-local"),
        (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10, "site-local (deprecated, private)"),
        (0xff00_0000_0000_0000_0000_0000_0000_0000, 8, "multicast"),
    ];
    TABLE.iter().find(|(net, prefix, _)| in_v6(*net, *prefix)).map(|(_, _, why)| *why)
}

/// Ports browsers refuse to fetch (the Fetch standard's "bad ports"), so a link cannot make
/// kaibo talk SMTP, IMAP or SSH to a public host either.
const BAD_PORTS: &[u16] = &[
    0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103,
    104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514,
    515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723,
    2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
];

/// One allowed address: an IP, a network (`127.0.0.0/8`) or an IP with a port
/// (`127.0.0.1:8080`, `[::1]:8080`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowEntry {
    net: IpAddr,
    prefix: u32,
    port: Option<u16>,
}

/// Addresses the guard lets through although they are not public. Off (empty) by default; meant
/// for tests that serve pages on 127.0.0.1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<AllowEntry>);

impl AllowList {
    pub fn parse(entries: &[String]) -> Result<AllowList, String> {
        let mut out = Vec::new();
        for e in entries {
            let e = e.trim();
            let entry = if let Ok(sa) = e.parse::<SocketAddr>() {
                let prefix = if sa.is_ipv4() { 32 } else { 128 };
                AllowEntry { net: sa.ip(), prefix, port: Some(sa.port()) }
            } else if let Some((ip, p)) = e.split_once('/') {
                let net: IpAddr = ip.parse().map_err(|_| format!("allow list: not an address: {e}"))?;
                let max = if net.is_ipv4() { 32 } else { 128 };
                let prefix: u32 = p
                    .parse()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("allow list: bad prefix: {e}"))?;
                AllowEntry { net, prefix, port: None }
            } else {
                let net: IpAddr = e.parse().map_err(|_| format!("allow list: not an address: {e}"))?;
                AllowEntry { net, prefix: if net.is_ipv4() { 32 } else { 128 }, port: None }
            };
            out.push(entry);
        }
        Ok(AllowList(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn allows(&self, addr: SocketAddr) -> bool {
        self.0.iter().any(|e| {
            let ip_ok = match (e.net, addr.ip()) {
                (IpAddr::V4(n), IpAddr::V4(a)) => in_v4(a, n.octets(), e.prefix),
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = if e.prefix == 0 { 0 } else { u128::MAX << (128 - e.prefix) };
                    u128::from(a) & mask == u128::from(n) & mask
                }
                _ => false,
            };
            ip_ok && e.port.is_none_or(|p| p == addr.port())
        })
    }
}

/// The decision for one connection.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: AllowList,
}

impl Guard {
    pub fn new(allow: AllowList) -> Guard {
        Guard { allow }
    }

    pub fn allow_list_in_use(&self) -> bool {
        !self.allow.is_empty()
    }

    /// `Ok` when kaibo may connect to `addr`; otherwise why not, in words for the report.
    pub fn check(&self, addr: SocketAddr) -> Result<(), String> {
        if self.allow.allows(addr) {
            return Ok(());
        }
        if let Some(why) = forbidden_reason(addr.ip()) {
            return Err(format!("{} is {why}", addr.ip()));
        }
        if BAD_PORTS.contains(&addr.port()) {
            return Err(format!("port {} is not a web port", addr.port()));
        }
        Ok(())
    }
}

/// Turns a defanged indicator back into a URL (`hxxps://evil[.]example` → `https://evil.example`).
/// Used only inside kaibo, on what it is asked to visit; reports keep showing the defanged form.
pub fn refang(s: &str) -> String {
    let mut t = s.trim().to_string();
    for (from, to) in [
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("[:]", ":"),
        ("[://]", "://"),
        ("[/]", "/"),
        ("[at]", "@"),
        ("[@]", "@"),
    ] {
        t = t.replace(from, to);
    }
    let lower = t.to_ascii_lowercase();
    for (from, to) in [("hxxps://", "https://"), ("hxxp://", "http://"), ("hxxps[://]", "https://")] {
        if lower.starts_with(from) {
            t = format!("{to}{}", &t[from.len()..]);
            break;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        Guard::default().check(s.parse().unwrap()).is_err()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for a in [
            "127.0.0.1:80",
            "127.8.9.10:443",
            "10.0.0.1:80",
            "172.16.5.4:80",
            "172.31.255.255:80",
            "192.168.1.1:80",
            "169.254.169.254:80",
            "169.254.1.1:80",
            "100.64.0.1:80",
            "100.127.255.254:80",
            "0.0.0.0:80",
            "224.0.0.1:80",
            "255.255.255.255:80",
            "198.18.0.1:80",
            "[::1]:80",
            "[::]:80",
            "[::ffff:127.0.0.1]:80",
            "[::ffff:169.254.169.254]:80",
            "[::ffff:10.1.2.3]:80",
            "[::127.0.0.1]:80",
            "[64:ff9b::a00:1]:80",
            "[2002:7f00:1::1]:80",
            "[2002:a9fe:a9fe::]:80",
            "[fd00:ec2::254]:80",
            "[fc00::1]:80",
            "[fe80::1]:80",
            "[fec0::1]:80",
            "[ff02::1]:80",
            "[2001:0:4136:e378::1]:80",
            "[2001:db8::1]:80",
        ] {
            assert!(refused(a), "{a} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in
            ["31.31.198.183:443", "8.8.8.8:80", "[2a00:1450:4001:80b::200e]:443", "[64:ff9b::808:808]:80"]
        {
            assert!(!refused(a), "{a} should pass");
        }
        assert!(refused("8.8.8.8:25"), "SMTP is not a web port");
    }

    #[test]
    fn reasons_name_the_range() {
        let g = Guard::default();
        assert!(g.check("169.254.169.254:80".parse().unwrap()).unwrap_err().contains("metadata"));
        assert!(g.check("[fd00:ec2::254]:80".parse().unwrap()).unwrap_err().contains("metadata"));
        assert!(g.check("10.0.0.1:80".parse().unwrap()).unwrap_err().contains("private"));
    }

    #[test]
    fn allow_list_is_exact() {
        let allow = AllowList::parse(&["127.0.0.1:8080".into(), "10.9.0.0/16".into()]).unwrap();
        let g = Guard::new(allow);
        assert!(g.check("127.0.0.1:8080".parse().unwrap()).is_ok());
        assert!(g.check("127.0.0.1:8081".parse().unwrap()).is_err());
        assert!(g.check("127.0.0.2:8080".parse().unwrap()).is_err());
        assert!(g.check("10.9.3.4:80".parse().unwrap()).is_ok());
        assert!(g.check("10.8.3.4:80".parse().unwrap()).is_err());
        assert!(g.check("169.254.169.254:80".parse().unwrap()).is_err());
        assert!(AllowList::parse(&["nonsense".into()]).is_err());
        assert!(AllowList::parse(&["10.0.0.0/40".into()]).is_err());
    }

    #[test]
    fn refang_undoes_common_defanging() {
        assert_eq!(refang("hxxps://mail-sync[.]aorz[.]ru/login"), "https://mail-sync.aorz.ru/login");
        assert_eq!(refang("hXXp://evil(.)example[:]8080/"), "http://evil.example:8080/");
        assert_eq!(refang("https://plain.example/"), "https://plain.example/");
    }
}
