#!/usr/bin/env python3
"""Writes the worst-case mails of docs/limits.md into DIR (default: /tmp/kaibo-worst).

Each is just under kaibo's default --max-size (50 MB) or as hostile as its shape gets, and
aims at one cost: the MIME parser's records (header fields, parts), the HTML scanner (depth,
attributes, entities), link extraction, recipients, long values, decoders (base64, QP, PDF
streams, images, ZIP listings). scripts/worst_cases.sh measures kaibo on them.
"""
import base64
import os
import struct
import sys
import zlib

D = sys.argv[1] if len(sys.argv) > 1 else "/tmp/kaibo-worst"
os.makedirs(D, exist_ok=True)
M = 50 * 1024 * 1024 - 4096
H = b"From: a@evil.example\r\nTo: b@example.org\r\nSubject: worst\r\n"


def w(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data[:M])


def html(body):
    return H + b"Content-Type: text/html\r\n\r\n" + body


def png(side):
    row = b"\x00" + b"\x80" * side
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * side, 9)) + chunk(b"IEND", b""))


def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


w("nested_div.eml", html(b"<div>" * (M // 5)))
w("nested_div_unclosed_a.eml", html(b"<a href='http://x.example/'><div><span>" * (M // 40)))
w("links_html.eml", html(b"".join(b"<a href=\"http://h%d.example/p\">x</a>" % i for i in range(M // 36))))
w("links_text.eml", H + b"\r\n" + b"".join(b"http://h%d.example/ " % i for i in range(M // 22)))
w("to_2m.eml", b"From: a@evil.example\r\nTo: " + b", ".join(b"u%d@e%d.org" % (i, i % 1000) for i in range(M // 16)))
w("many_parts.eml", H + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * (M // 37))
w("many_attachments.eml", H + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
  + b"--b\r\nContent-Type: application/octet-stream; name=a.exe\r\n\r\nMZ\r\n" * (M // 64))
w("many_headers.eml", (H + b"".join(b"X-H%d: v\r\n" % i for i in range(M // 12)))[: M - 10] + b"\r\n\r\nx")
w("many_received.eml", (H + b"".join(
    b"Received: from a%d.example (a.example [192.0.2.%d]) by b.example with ESMTP id %d; Tue, 14 Nov 2023 08:11:57 +0900\r\n"
    % (i, i % 250, i) for i in range(M // 110)))[: M - 10] + b"\r\n\r\nx")
w("nested_multipart.eml", H + b"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n" + b"".join(
    b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i - 1, i) for i in range(1, 100000)))
rfc = b"From: a@example.com\r\nSubject: x\r\n\r\nhi"
for _ in range(3000):
    rfc = b"From: a@example.com\r\nContent-Type: message/rfc822\r\n\r\n" + rfc
w("nested_rfc822.eml", rfc)
w("long_subject.eml", b"From: a@example.com\r\nSubject: " + b"a" * (M - 100) + b"\r\n\r\nx")
w("encoded_words.eml", b"From: a@example.com\r\nSubject: " + b"=?utf-8?b?44GC?= " * (M // 17))
w("base64_body.eml", H + b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
  + b64(b"<p>Verify your account https://x.example/</p>" * (M // 60)))
w("qp_body.eml", H + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + b"=E3=81=82" * (M // 9))
w("hidden_text.eml", html(b"<div style='display:none'>" + b"word " * (M // 5)))
w("styles.eml", html(b"<p style='color:#fff;background:#fff;font-size:0;display:none;visibility:hidden'>a</p>" * (M // 85)))
w("one_word.eml", html(b"<p>" + b"a" * M))
w("big_attr.eml", html(b"<a href=\"http://x.example/" + b"a" * (M - 300) + b"\">x</a>"))
w("entities.eml", html(b"&#12354;&amp;" * (M // 13)))
w("forms.eml", html(b"<form action='http://x.example/'><input type=password name=p></form>" * (M // 70)))
ja = "アカウントの確認をお願いします。お支払い方法の更新 三井住友カード ".encode()
w("japanese.eml", H + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + ja * (M // len(ja)))
bomb = zlib.compress(b"/URI (http://x.example/) " + b"\0" * (4 << 20), 9)
pdf = b"%PDF-1.7\n" + b"".join(b"%d 0 obj << /Filter /FlateDecode /Length %d >> stream\n" % (i, len(bomb)) + bomb
                              + b"\nendstream endobj\n" for i in range(4000))
w("pdf_bombs.eml", H + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
  b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(pdf[: (M * 3) // 4 - 1000]) + b"--b--\r\n")
big = png(5000)
w("images.eml", H + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nscan the QR code\r\n"
  + b"".join(b"--b\r\nContent-Type: image/png; name=i%d.png\r\nContent-Transfer-Encoding: base64\r\n\r\n" % i + b64(big)
             for i in range(8)) + b"--b--\r\n")
w("data_images.eml", html(b"<p>scan the QR code</p>" + (b"<img src=\"data:image/png;base64," + base64.b64encode(big) + b"\">") * 8))
names = [b"f%05d.exe" % i for i in range(65535)]
local, cd = b"", b""
for n in names:
    off = len(local)
    local += b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, 0, 0, 0, 0, len(n), 0) + n
    cd += b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(n), 0, 0, 0, 0, 0, off) + n
z = local + cd + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 65535, 65535, len(cd), len(local), 0)
w("zip_65k.eml", H + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/zip; name=a.zip\r\n"
  b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(z) + b"--b--\r\n")
zb = b""
for i in range(500):
    zb += b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, 0, 0, 0, 0, 65535, 0) + (b"n%04d" % i).ljust(125, b"A")
w("zip_overlapping.eml", H + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"".join(
    b"--b\r\nContent-Type: application/zip; name=a%d.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n" % i + b64(zb)
    for i in range(40)) + b"--b--\r\n")
print(D)
