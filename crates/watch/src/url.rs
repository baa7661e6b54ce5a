//! `imaps://USER@HOST[:PORT]/FOLDER` and `imap://…`.

use std::net::IpAddr;

use kaibo_core::urls::percent_decode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    /// `imaps://`: TLS from the first byte.
    pub tls: bool,
    pub user: String,
    pub host: String,
    pub port: u16,
    /// The watched folder (default `INBOX`).
    pub folder: String,
}

impl ImapUrl {
    pub fn parse(s: &str) -> Result<ImapUrl, String> {
        let (tls, rest) = if let Some(r) = s.strip_prefix("imaps://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("imap://") {
            (false, r)
        } else {
            return Err(format!("{s:?}: not an imaps:// or imap:// URL"));
        };
        let (authority, folder) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) =
            authority.rsplit_once('@').ok_or_else(|| format!("{s:?}: no user (imaps://USER@HOST/FOLDER)"))?;
        if user.contains(':') {
            return Err(
                "a password does not go in the URL: use --password-file or KAIBO_IMAP_PASSWORD".into()
            );
        }
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => {
                let (h, after) = v6.split_once(']').ok_or_else(|| format!("{s:?}: bad IPv6 address"))?;
                (h.to_string(), after.strip_prefix(':'))
            }
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            },
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("{s:?}: bad port {p:?}"))?,
            None if tls => 993,
            None => 143,
        };
        if host.is_empty() || user.is_empty() {
            return Err(format!("{s:?}: no host or user"));
        }
        let folder = percent_decode(folder);
        Ok(ImapUrl {
            tls,
            user: percent_decode(user),
            host,
            port,
            folder: if folder.is_empty() { "INBOX".into() } else { folder },
        })
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u =
            ImapUrl::parse("imaps://phish-report%40corp.example@imap.example.org/Reported/Phish").unwrap();
        assert_eq!((u.tls, u.port), (true, 993));
        assert_eq!(u.user, "phish-report@corp.example");
        assert_eq!(u.folder, "Reported/Phish");
        let u = ImapUrl::parse("imap://bob@127.0.0.1:1143").unwrap();
        assert_eq!((u.tls, u.port, u.folder.as_str()), (false, 1143, "INBOX"));
        assert!(u.is_loopback());
        assert!(ImapUrl::parse("imap://bob:secret@host/").unwrap_err().contains("password"));
        assert!(ImapUrl::parse("http://x@y").is_err());
        assert!(ImapUrl::parse("imaps://host/INBOX").is_err());
        assert_eq!(ImapUrl::parse("imaps://u@[::1]:994/").unwrap().host, "::1");
    }
}
