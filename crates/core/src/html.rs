//! HTML bodies: visible text, hidden text and links, in one forward pass.
//!
//! Mail HTML is written to be read by people and to fool filters, so the questions are narrow:
//! what does a reader see, what is hidden from them, and where do the links go. A tag/text scanner
//! with a stack of open elements answers them without building a DOM, which keeps the hot path
//! fast (hundreds of MB/s) and bounded: nesting depth is capped and malformed markup degrades to
//! text. Hidden means: `display:none`, `visibility:hidden`, `opacity:0`, a font size of 0 or 1
//! pixel, the `hidden` attribute, zero-height overflow boxes, or text coloured like its
//! background (white on the default white page included).

use std::borrow::Cow;

use kaibo_model::LinkSource;

use crate::limits::{HTML_MAX_DEPTH, HTML_MAX_FRAGMENT_CHARS, HTML_MAX_HIDDEN_FRAGMENTS};
use crate::script::ScriptSigns;

/// A link found in HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlLink {
    pub url: String,
    pub source: LinkSource,
    /// Anchor text, or an image's alt text inside the anchor.
    pub display_text: Option<String>,
    /// The link sits inside hidden content.
    pub hidden: bool,
}

/// A form in the HTML body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlForm {
    pub action: Option<String>,
    pub has_password: bool,
    /// Fields a reader types into (text, e-mail, number, password… inputs and text areas).
    pub fields: u16,
}

#[derive(Debug, Clone, Default)]
pub struct HtmlDoc {
    pub title: Option<String>,
    pub visible_text: String,
    pub hidden_text: Vec<String>,
    /// The first hidden text came before any visible letter or digit: an inbox preview line
    /// (a "preheader"), when it is the only one.
    pub preheader: bool,
    /// Words in all the hidden text ([`hidden_words`]), counted in full.
    pub hidden_words: usize,
    pub links: Vec<HtmlLink>,
    pub forms: Vec<HtmlForm>,
    /// Nesting deeper than the cap was flattened.
    pub too_deep: bool,
    /// What its scripts would do (read, never run; only by [`analyze_html_file`]): it matters
    /// for attachments, which a browser opens with script on.
    pub scripts: ScriptSigns,
}

// Tag classes as `match`es: the compiler turns them into a switch on length and bytes, where a
// slice of names would be compared one by one for every tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "keygen"
    )
}

/// Elements that start a new line of text.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "tr"
            | "li"
            | "ul"
            | "ol"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "center"
            | "hr"
            | "pre"
            | "form"
            | "dl"
            | "dt"
            | "dd"
            | "address"
            | "tbody"
            | "thead"
    )
}

/// Elements a sibling of the same name closes (`<p>a<p>b`).
fn closes_sibling(name: &str) -> bool {
    matches!(name, "p" | "li" | "td" | "th" | "tr" | "option" | "dt" | "dd")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

const WHITE: Rgb = Rgb(255, 255, 255);

#[derive(Debug)]
struct Open<'a> {
    /// Lower case; borrowed from the document when it is written in lower case already.
    name: Cow<'a, str>,
    hidden: bool,
    fg: Option<Rgb>,
    bg: Rgb,
}

struct Attr<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
}

/// Analyses one HTML document.
pub fn analyze_html(html: &str) -> HtmlDoc {
    analyze(html, false)
}

/// Analyses an HTML or SVG file a browser would open (an attachment): as [`analyze_html`], and
/// its scripts are read too ([`HtmlDoc::scripts`]). A mail client runs no script in a body, so
/// bodies skip that work.
pub fn analyze_html_file(html: &str) -> HtmlDoc {
    analyze(html, true)
}

fn analyze(html: &str, read_scripts: bool) -> HtmlDoc {
    let mut s = Scanner { src: html, pos: 0, spare_attrs: Vec::new() };
    let mut r = Reader { read_scripts, ..Reader::default() };
    while let Some(tok) = s.next_token() {
        match tok {
            Token::Text(raw) => r.text(raw),
            Token::Start { name, attrs, self_closing } => {
                r.start(&mut s, lowercase(name), attrs, self_closing)
            }
            Token::End(name) => r.end(lowercase(name)),
        }
    }
    r.finish()
}

/// The state of one document's reading: the elements open, the hidden text not yet flushed, the
/// anchor whose text is being collected and the form being read.
#[derive(Default)]
struct Reader<'a> {
    doc: HtmlDoc,
    stack: Vec<Open<'a>>,
    hidden_buf: String,
    /// Index of the link whose anchor text is being collected, that text, and the depth of its
    /// element.
    anchor: Option<(usize, String, usize)>,
    form_open: Option<usize>,
    /// Whether script text is read into `doc.scripts` (files a browser opens, not bodies).
    read_scripts: bool,
}

impl<'a> Reader<'a> {
    fn text(&mut self, raw: &str) {
        let text = html_escape::decode_html_entities(raw);
        let top = self.stack.last();
        let hidden = top.is_some_and(|o| o.hidden || o.fg.is_some_and(|fg| near(fg, o.bg)));
        if hidden {
            push_folded(&mut self.hidden_buf, &text);
        } else {
            push_folded(&mut self.doc.visible_text, &text);
            if let Some((_, buf, _)) = self.anchor.as_mut() {
                push_folded(buf, &text);
            }
        }
    }

    fn start(&mut self, s: &mut Scanner<'a>, name: Cow<'a, str>, attrs: Vec<Attr<'a>>, self_closing: bool) {
        if is_block(&name) {
            newline(&mut self.doc.visible_text);
        }
        if closes_sibling(&name) && self.stack.last().is_some_and(|o| o.name == name) {
            self.stack.pop();
        }
        // Script that runs without a click is script too: handlers of events that fire by
        // themselves (an SVG's `onload`), and `javascript:` addresses a page loads. A button's
        // `onclick` or a link's `javascript:` waits for the reader, as a report's buttons do.
        for a in attrs.iter().filter(|_| self.read_scripts) {
            if runs_by_itself(&a.name) {
                self.doc.scripts.read(&a.value);
            } else if !a.name.ends_with("href")
                && let Some(code) = javascript_url(&a.value)
            {
                self.doc.scripts.read(code);
            }
        }
        let parent = self.stack.last().map_or((false, None, WHITE), |o| (o.hidden, o.fg, o.bg));
        let (hidden, fg, bg) = element_visibility(&name, &attrs, parent);
        match name.as_ref() {
            "title" => {
                let raw = s.raw_text_until("title");
                let t = fold(&html_escape::decode_html_entities(raw));
                if !t.is_empty() && self.doc.title.is_none() {
                    self.doc.title = Some(t);
                }
                return;
            }
            "script" => {
                let code = s.raw_text_until(&name);
                if self.read_scripts {
                    self.doc.scripts.read(code);
                }
                return;
            }
            "style" | "noscript" | "template" | "xmp" | "textarea" => {
                s.raw_text_until(&name);
                return;
            }
            _ => self.element(&name, &attrs, hidden, self_closing),
        }
        if !self_closing && !is_void(&name) {
            if self.stack.len() < HTML_MAX_DEPTH {
                self.stack.push(Open { name, hidden, fg, bg });
            } else {
                self.doc.too_deep = true;
            }
        }
        s.spare_attrs = attrs;
    }

    /// The links, forms and anchor text an element adds.
    fn element(&mut self, name: &str, attrs: &[Attr<'_>], hidden: bool, self_closing: bool) {
        let attr = |n: &str| attrs.iter().find(|a| a.name == n).map(|a| a.value.trim());
        let doc = &mut self.doc;
        match name {
            "a" | "area" => {
                if let Some(href) = attr("href").filter(|h| !h.is_empty()) {
                    close_anchor(doc, &mut self.anchor);
                    doc.links.push(HtmlLink {
                        url: href.to_string(),
                        source: if name == "a" { LinkSource::Anchor } else { LinkSource::Area },
                        display_text: attr("title")
                            .filter(|_| name == "area")
                            .or(attr("alt"))
                            .map(str::to_string),
                        hidden,
                    });
                    if name == "a" && !self_closing {
                        self.anchor = Some((doc.links.len() - 1, String::new(), self.stack.len()));
                    }
                }
            }
            "img" => {
                if let Some((_, buf, _)) = self.anchor.as_mut()
                    && let Some(alt) = attr("alt").filter(|a| !a.is_empty())
                {
                    push_folded(buf, alt);
                }
                // Inline data: images are kept for QR decoding; they are not web links.
                let is_data_image =
                    |s: &str| s.get(..11).is_some_and(|p| p.eq_ignore_ascii_case("data:image/"));
                if let Some(src) = attr("src").filter(|s| is_web_url(s) || is_data_image(s)) {
                    doc.links.push(HtmlLink {
                        url: src.to_string(),
                        source: LinkSource::Image,
                        display_text: attr("alt").filter(|a| !a.is_empty()).map(str::to_string),
                        hidden,
                    });
                }
            }
            "iframe" | "frame" => {
                if let Some(src) = attr("src").filter(|s| is_web_url(s)) {
                    let url = src.to_string();
                    doc.links.push(HtmlLink { url, source: LinkSource::Frame, display_text: None, hidden });
                }
            }
            "form" => {
                let action = attr("action").filter(|a| !a.is_empty()).map(str::to_string);
                if let Some(a) = &action {
                    let url = a.clone();
                    doc.links.push(HtmlLink { url, source: LinkSource::Form, display_text: None, hidden });
                }
                doc.forms.push(HtmlForm { action, has_password: false, fields: 0 });
                self.form_open = Some(doc.forms.len() - 1);
            }
            "input" if attr("type").is_some_and(|t| t.eq_ignore_ascii_case("password")) => {
                match self.form_open {
                    Some(i) => {
                        doc.forms[i].has_password = true;
                        doc.forms[i].fields = doc.forms[i].fields.saturating_add(1);
                    }
                    None => doc.forms.push(HtmlForm { action: None, has_password: true, fields: 1 }),
                }
            }
            "input" | "textarea" | "select" if self.form_open.is_some() => {
                // Buttons, check boxes and hidden fields are not typed into.
                let typed = attr("type").is_none_or(|t| {
                    let t = t.trim().to_ascii_lowercase();
                    !matches!(
                        t.as_str(),
                        "hidden" | "submit" | "button" | "image" | "reset" | "checkbox" | "radio" | "file"
                    )
                });
                if let Some(i) = self.form_open.filter(|_| typed) {
                    doc.forms[i].fields = doc.forms[i].fields.saturating_add(1);
                }
            }
            "meta" => {
                if attr("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
                    && let Some(url) = attr("content").and_then(refresh_url)
                {
                    let source = LinkSource::MetaRefresh;
                    doc.links.push(HtmlLink { url, source, display_text: None, hidden: false });
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: Cow<'_, str>) {
        if is_block(&name) || name == "td" {
            newline(&mut self.doc.visible_text);
        }
        if name == "form" {
            self.form_open = None;
        }
        if let Some(i) = self.stack.iter().rposition(|o| o.name == name) {
            self.stack.truncate(i);
            if self.anchor.as_ref().is_some_and(|(_, _, depth)| *depth >= self.stack.len()) {
                close_anchor(&mut self.doc, &mut self.anchor);
            }
        }
        let now_hidden = self.stack.last().is_some_and(|o| o.hidden);
        if !now_hidden {
            flush_hidden(&mut self.doc, &mut self.hidden_buf);
        }
    }

    fn finish(mut self) -> HtmlDoc {
        close_anchor(&mut self.doc, &mut self.anchor);
        flush_hidden(&mut self.doc, &mut self.hidden_buf);
        let trimmed = self.doc.visible_text.trim().to_string();
        self.doc.visible_text = trimmed;
        self.doc
    }
}

/// Event handlers that fire without the reader doing anything.
fn runs_by_itself(attribute: &str) -> bool {
    matches!(
        attribute,
        "onload"
            | "onerror"
            | "onpageshow"
            | "onfocus"
            | "onbegin"
            | "onend"
            | "onrepeat"
            | "onanimationstart"
            | "onanimationend"
            | "onanimationiteration"
            | "ontransitionend"
            | "onreadystatechange"
            | "onbeforeunload"
            | "onunload"
    )
}

/// The code of a `javascript:` address.
fn javascript_url(value: &str) -> Option<&str> {
    let v = value.trim_start();
    v.get(..11).filter(|scheme| scheme.eq_ignore_ascii_case("javascript:")).map(|_| &v[11..])
}

/// A tag name in lower case, copied only when the document wrote it otherwise.
fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

fn close_anchor(doc: &mut HtmlDoc, anchor: &mut Option<(usize, String, usize)>) {
    if let Some((i, text, _)) = anchor.take() {
        let text = text.trim();
        if !text.is_empty() {
            doc.links[i].display_text = Some(text.to_string());
        }
    }
}

/// Words in a hidden text: its words with a letter or digit, or its length in words (five
/// characters a word, three for Chinese and Japanese, written without spaces), whichever is
/// more, so a run of random letters counts for its length. The characters that render as
/// nothing are not counted: a newsletter pads its preheader with `&zwnj;&nbsp;` pairs so the
/// inbox preview shows nothing after it, and those are no words.
pub fn hidden_words(text: &str) -> usize {
    let tokens = text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
    let (mut cjk, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|&c| !c.is_whitespace() && !crate::text::is_invisible(c)) {
        if crate::normalise::is_cjk(c) { cjk += 1 } else { other += 1 }
    }
    tokens.max(other / 5 + cjk / 3)
}

fn flush_hidden(doc: &mut HtmlDoc, buf: &mut String) {
    let t = buf.trim();
    if t.chars().any(char::is_alphanumeric) && doc.hidden_text.len() < HTML_MAX_HIDDEN_FRAGMENTS {
        if doc.hidden_text.is_empty() {
            doc.preheader = !doc.visible_text.chars().any(char::is_alphanumeric);
        }
        // Counted before the fragment is cut to its kept length.
        doc.hidden_words += hidden_words(t);
        doc.hidden_text.push(t.chars().take(HTML_MAX_FRAGMENT_CHARS).collect());
    }
    buf.clear();
}

fn is_web_url(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("//")
}

/// `0; url=https://…` → the URL.
fn refresh_url(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let i = lower.find("url")?;
    let rest = content[i + 3..].trim_start();
    let rest = rest.strip_prefix('=')?.trim();
    let rest = rest.trim_matches(|c| c == '\'' || c == '"');
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Appends text with runs of white space folded to one space.
fn push_folded(out: &mut String, text: &str) {
    // Most text runs are words between single spaces: copy them whole.
    if !text.is_empty()
        && !text.starts_with(char::is_whitespace)
        && !text.contains(|c: char| c.is_whitespace() && c != ' ')
        && !text.contains("  ")
    {
        out.push_str(text.trim_end_matches(' '));
        if text.ends_with(' ') {
            out.push(' ');
        }
        return;
    }
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{3000}' {
            if !out.is_empty() && !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            // Invisible characters are kept here; `crate::text::strip_invisible` removes them
            // (and counts the ones slipped inside words) once the whole text is known.
            out.push(c);
        }
    }
}

fn fold(text: &str) -> String {
    let mut s = String::new();
    push_folded(&mut s, text);
    s.trim().to_string()
}

fn newline(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Whether an element hides its content, and its text and background colours.
/// `parent` is the parent element's (hidden, foreground, background).
fn element_visibility(
    name: &str,
    attrs: &[Attr<'_>],
    parent: (bool, Option<Rgb>, Rgb),
) -> (bool, Option<Rgb>, Rgb) {
    let (mut hidden, mut fg, mut bg) = parent;
    for a in attrs {
        match a.name.as_ref() {
            "hidden" => hidden = true,
            "bgcolor" => {
                if let Some(c) = parse_color(&a.value) {
                    bg = c;
                }
            }
            "color" if name == "font" => {
                if let Some(c) = parse_color(&a.value) {
                    fg = Some(c);
                }
            }
            "style" => {
                let mut zero_height = false;
                let mut overflow_hidden = false;
                for decl in a.value.split(';') {
                    let Some((prop, val)) = decl.split_once(':') else { continue };
                    let prop = lowercase(prop.trim());
                    let val = val.trim();
                    let val = lowercase(val.strip_suffix("!important").unwrap_or(val).trim());
                    match prop.as_ref() {
                        "display" if val == "none" => hidden = true,
                        "visibility" if val == "hidden" || val == "collapse" => hidden = true,
                        "opacity" if val.parse::<f32>().is_ok_and(|o| o < 0.05) => hidden = true,
                        "font-size" if is_tiny_length(&val) => hidden = true,
                        "max-height" | "height" if is_zero_length(&val) => zero_height = true,
                        "overflow" if val == "hidden" => overflow_hidden = true,
                        "color" => {
                            if let Some(c) = parse_color(&val) {
                                fg = Some(c);
                            }
                        }
                        "background-color" | "background" => {
                            if let Some(c) = val.split_whitespace().find_map(parse_color) {
                                bg = c;
                            }
                        }
                        _ => {}
                    }
                }
                if zero_height && overflow_hidden {
                    hidden = true;
                }
            }
            _ => {}
        }
    }
    (hidden, fg, bg)
}

fn is_zero_length(v: &str) -> bool {
    let num: String = v.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    !num.is_empty() && num.parse::<f32>().is_ok_and(|n| n == 0.0)
}

fn is_tiny_length(v: &str) -> bool {
    let num: String = v.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let Ok(n) = num.parse::<f32>() else { return false };
    let unit = &v[num.len()..];
    match unit {
        "" | "px" | "pt" => n <= 1.0,
        "em" | "rem" => n < 0.1,
        "%" => n < 10.0,
        _ => false,
    }
}

/// Two colours a reader cannot tell apart.
fn near(a: Rgb, b: Rgb) -> bool {
    let d = |x: u8, y: u8| (x as i32 - y as i32).abs();
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2) < 24
}

fn parse_color(v: &str) -> Option<Rgb> {
    let v = v.trim();
    if let Some(hex) = v.strip_prefix('#') {
        let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        let h = hex.as_bytes();
        return match h.len() {
            3 => Some(Rgb(digit(h[0])? * 17, digit(h[1])? * 17, digit(h[2])? * 17)),
            6 => Some(Rgb(
                digit(h[0])? * 16 + digit(h[1])?,
                digit(h[2])? * 16 + digit(h[3])?,
                digit(h[4])? * 16 + digit(h[5])?,
            )),
            _ => None,
        };
    }
    let starts = |p: &str| v.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
    let inner = if starts("rgb(") {
        Some(&v[4..])
    } else if starts("rgba(") {
        Some(&v[5..])
    } else {
        None
    };
    if let Some(inner) = inner {
        let mut parts = inner
            .trim_end_matches(')')
            .split(',')
            .take(3)
            .filter_map(|p| p.trim().parse::<f32>().ok().map(|f| f.clamp(0.0, 255.0) as u8));
        return match (parts.next(), parts.next(), parts.next()) {
            (Some(r), Some(g), Some(b)) => Some(Rgb(r, g, b)),
            _ => None,
        };
    }
    const NAMED: [(&str, Rgb); 6] = [
        ("white", WHITE),
        ("black", Rgb(0, 0, 0)),
        ("snow", Rgb(250, 250, 250)),
        ("ivory", Rgb(250, 250, 250)),
        ("ghostwhite", Rgb(250, 250, 250)),
        ("whitesmoke", Rgb(250, 250, 250)),
    ];
    NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(v)).map(|&(_, c)| c)
}

enum Token<'a> {
    Text(&'a str),
    Start { name: &'a str, attrs: Vec<Attr<'a>>, self_closing: bool },
    End(&'a str),
}

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// The attribute list handed back after each start tag, so its allocation is reused.
    spare_attrs: Vec<Attr<'a>>,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return None;
            }
            if !rest.starts_with('<') {
                let end = memchr::memchr(b'<', rest.as_bytes()).unwrap_or(rest.len());
                self.pos += end;
                return Some(Token::Text(&rest[..end]));
            }
            let b = rest.as_bytes();
            if rest.starts_with("<!--") {
                self.pos +=
                    rest.strip_prefix("<!--").and_then(|r| r.find("-->")).map_or(rest.len(), |i| i + 7);
                continue;
            }
            if b.len() > 1 && (b[1] == b'!' || b[1] == b'?') {
                self.pos += memchr::memchr(b'>', b).map_or(rest.len(), |i| i + 1);
                continue;
            }
            if b.len() > 2 && b[1] == b'/' && b[2].is_ascii_alphabetic() {
                let name_end = 2 + b[2..].iter().position(|c| !is_name_byte(*c)).unwrap_or(b.len() - 2);
                let name = &rest[2..name_end];
                self.pos += memchr::memchr(b'>', b).map_or(rest.len(), |i| i + 1);
                return Some(Token::End(name));
            }
            if b.len() > 1 && b[1].is_ascii_alphabetic() {
                return Some(self.start_tag());
            }
            // A lone '<' is text.
            self.pos += 1;
            return Some(Token::Text(&rest[..1]));
        }
    }

    fn start_tag(&mut self) -> Token<'a> {
        let rest = self.rest();
        let b = rest.as_bytes();
        let name_end = 1 + b[1..].iter().position(|c| !is_name_byte(*c)).unwrap_or(b.len() - 1);
        let name = &rest[1..name_end];
        let mut i = name_end;
        let mut attrs = std::mem::take(&mut self.spare_attrs);
        attrs.clear();
        let mut self_closing = false;
        while i < b.len() {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'>') {
                    self_closing = true;
                }
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                break;
            }
            let an_start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
                i += 1;
            }
            let an = &rest[an_start..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value: &str = "";
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let v_start = i + 1;
                    let v_end = memchr::memchr(q, &b[v_start..]).map_or(b.len(), |j| v_start + j);
                    value = &rest[v_start..v_end];
                    i = (v_end + 1).min(b.len());
                } else {
                    let v_start = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = &rest[v_start..i];
                }
            }
            if !an.is_empty() && attrs.len() < 64 {
                let name = if an.bytes().any(|c| c.is_ascii_uppercase()) {
                    Cow::Owned(an.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(an)
                };
                attrs.push(Attr { name, value: html_escape::decode_html_entities(value) });
            }
        }
        self.pos += (i + 1).min(b.len());
        Token::Start { name, attrs, self_closing }
    }

    /// Skips raw text up to and including `</name>`, returning the text.
    fn raw_text_until(&mut self, name: &str) -> &'a str {
        let rest = self.rest();
        let close = format!("</{name}");
        let lower_find = find_ascii_ci(rest, &close);
        match lower_find {
            Some(i) => {
                let after = memchr::memchr(b'>', &rest.as_bytes()[i..]).map_or(rest.len(), |j| i + j + 1);
                self.pos += after;
                &rest[..i]
            }
            None => {
                self.pos += rest.len();
                rest
            }
        }
    }
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b':' || c == b'_'
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    let h = hay.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'<', &h[from..]) {
        let at = from + i;
        if at + n.len() <= h.len() && h[at..at + n.len()].eq_ignore_ascii_case(n) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_links_and_anchor_text() {
        let d = analyze_html(
            r#"<html><head><title>T &amp; C</title><style>p{color:red}</style></head>
            <body><p>Hello&nbsp;<b>world</b></p><a href="https://x.example/a?b=1&amp;c=2">Click <i>here</i></a>
            <script>var a = "<a href='https://no.example'>";</script></body></html>"#,
        );
        assert_eq!(d.title.as_deref(), Some("T & C"));
        assert!(d.visible_text.contains("Hello\u{a0}world") || d.visible_text.contains("Hello world"));
        assert_eq!(d.links.len(), 1);
        assert_eq!(d.links[0].url, "https://x.example/a?b=1&c=2");
        assert_eq!(d.links[0].display_text.as_deref(), Some("Click here"));
        assert!(!d.visible_text.contains("no.example"));
    }

    #[test]
    fn hidden_text_is_reported_not_read() {
        let d = analyze_html(
            r##"<div style="display:none">filler words one</div><p>shown</p>
            <span style="font-size:0px">tiny words</span>
            <font color="#ffffff">white on white</font>
            <div style="background:#000"><span style="color:#fff">white on black</span></div>
            <a href="https://b.example" style="background:#1a73e8;color:#ffffff">Button</a>"##,
        );
        assert!(d.visible_text.contains("shown"));
        assert!(d.visible_text.contains("white on black"));
        assert!(d.visible_text.contains("Button"));
        assert!(!d.visible_text.contains("filler"));
        assert!(!d.visible_text.contains("tiny"));
        assert!(!d.visible_text.contains("white on white"));
        assert_eq!(d.hidden_text, vec!["filler words one", "tiny words", "white on white"]);
        assert!(d.preheader, "the first hidden text came before any visible text");
    }

    #[test]
    fn hidden_words_count_words_not_padding() {
        use super::hidden_words;
        // A preheader padded with `&zwnj;&nbsp;` pairs: eight words, not eighty.
        let padded = format!("Claim your official card now! (And a gift!) {}", "\u{200c} ".repeat(70));
        assert_eq!(hidden_words(&padded), 8);
        // A sentence is as many words as it has.
        assert_eq!(hidden_words("Your subscription is confirmed. We look forward to it."), 9);
        // Random letters count for their length.
        assert_eq!(hidden_words("gpzmypwdqtzcasbjqfbhyw ejmwkkuupclexmfnsge"), 8);
        // Japanese, without spaces: three characters a word.
        assert_eq!(hidden_words("お客様のアカウントを確認"), 4);
        assert_eq!(hidden_words(""), 0);
    }

    #[test]
    fn a_preheader_is_hidden_text_before_the_visible_text() {
        let d = analyze_html(
            r#"<body><div style="display:none;max-height:0">Your October update &zwnj;&nbsp;</div>
            <table><tr><td><img src="logo.png"></td></tr><tr><td>Dear reader, the news.</td></tr></table>"#,
        );
        assert!(d.preheader);
        let d = analyze_html(r#"<p>Dear reader</p><div style="display:none">buy cheap pills</div>"#);
        assert!(!d.preheader);
        assert_eq!(d.hidden_text, vec!["buy cheap pills"]);
    }

    #[test]
    fn forms_images_refresh_and_area() {
        let d = analyze_html(
            r#"<meta http-equiv="refresh" content="0; URL='https://r.example/x'">
            <form action="https://f.example/post"><input type=text name=u><input type="PASSWORD" name=p></form>
            <a href="https://i.example/"><img src="https://img.example/logo.png" alt="Sign in"></a>
            <map><area href="https://area.example/" alt="zone"></map>"#,
        );
        let srcs: Vec<(&str, &str)> = d.links.iter().map(|l| (l.source.as_str(), l.url.as_str())).collect();
        assert_eq!(
            srcs,
            vec![
                ("meta-refresh", "https://r.example/x"),
                ("form", "https://f.example/post"),
                ("a", "https://i.example/"),
                ("img", "https://img.example/logo.png"),
                ("area", "https://area.example/")
            ]
        );
        assert_eq!(d.links[2].display_text.as_deref(), Some("Sign in"));
        assert!(d.forms[0].has_password);
    }

    #[test]
    fn malformed_markup_never_panics() {
        for s in [
            "<",
            "<a",
            "<a href=",
            "<a href='x",
            "</",
            "<!--",
            "<div style=\"color:#zzzzzz\">x",
            "<p><p><p>",
            "<a href=x><a href=y>t</a>",
            "<title>x",
            "<script>x",
            "<<<>>>",
            "<é>",
            "</é>",
        ] {
            let _ = analyze_html(s);
        }
        let deep = "<div>".repeat(10_000) + "x" + &"</div>".repeat(10_000);
        let d = analyze_html(&deep);
        assert!(d.too_deep);
        assert_eq!(d.visible_text, "x");
    }
}
