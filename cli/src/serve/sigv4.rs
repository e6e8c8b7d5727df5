//! AWS Signature Version 4, the server's side: parse the `Authorization` header, rebuild the
//! canonical request and the string to sign, and check the signature under a secret.
//!
//! Follows the SigV4 specification ("Create a signed AWS API request"): the canonical request
//! is `METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n HEX(SHA-256(body))`, with header
//! names lower-cased, values trimmed and inner runs of spaces folded to one, repeated headers
//! joined by commas, and the query parameters sorted by name then value. The signing key is
//! `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
//!
//! What a request must carry here (as AWS KMS requires): `x-amz-date`, and the `host`,
//! `x-amz-date` and `x-amz-target` headers among the signed ones (the operation cannot be
//! swapped under a signature); a credential scope of the server's region and of service `kms`,
//! dated the day of `x-amz-date`; and a date within [`MAX_SKEW_SECS`] of the server's clock.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::api::ApiError;

/// The largest difference allowed between a request's `x-amz-date` and the server's clock,
/// as AWS allows: 5 minutes.
pub(crate) const MAX_SKEW_SECS: u64 = 5 * 60;

/// The only algorithm accepted.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

type HmacSha256 = Hmac<Sha256>;

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub(crate) access_key_id: String,
    /// `YYYYMMDD`.
    pub(crate) date: String,
    pub(crate) region: String,
    pub(crate) service: String,
    /// Lower-case names, as given (`;`-separated in the header).
    pub(crate) signed_headers: Vec<String>,
    /// 32 bytes.
    pub(crate) signature: [u8; 32],
}

/// What the signature check needs from a request, computed on the network side.
#[derive(Debug)]
pub(crate) struct SignedRequest {
    pub(crate) auth: Authorization,
    /// `x-amz-date`, `YYYYMMDDTHHMMSSZ`.
    pub(crate) amz_date: String,
    /// The same, as seconds since the epoch.
    pub(crate) time: u64,
    /// The string to sign (holds no secret: hashes and the scope).
    pub(crate) string_to_sign: String,
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::client("IncompleteSignatureException", message)
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b;c, Signature=HEX`.
///
/// # Errors
/// IncompleteSignatureException for anything malformed or missing.
pub(crate) fn parse_authorization(header: &str) -> Result<Authorization, ApiError> {
    let rest = header
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| incomplete(format!("Authorization header requires the {ALGORITHM} algorithm")))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| incomplete(format!("Authorization header requires 'name=value' pairs, got {part:?}")))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return Err(incomplete(format!("Authorization header has an unknown parameter {name:?}"))),
        };
        if slot.replace(value).is_some() {
            return Err(incomplete(format!("Authorization header repeats {name}")));
        }
    }
    let credential = credential.ok_or_else(|| incomplete("Authorization header requires 'Credential' parameter"))?;
    let signed = signed.ok_or_else(|| incomplete("Authorization header requires 'SignedHeaders' parameter"))?;
    let signature = signature.ok_or_else(|| incomplete("Authorization header requires 'Signature' parameter"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope.as_slice() else {
        return Err(incomplete("Credential must have the form ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request"));
    };
    if *terminator != "aws4_request" {
        return Err(incomplete("Credential should be scoped with a valid terminator: 'aws4_request'"));
    }
    if access_key_id.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(incomplete("Credential must have the form ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request"));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    if signed_headers.iter().any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase())) {
        return Err(incomplete("SignedHeaders must be lower-case header names separated by ';'"));
    }
    let signature = decode_hex32(signature).ok_or_else(|| incomplete("Signature must be 64 hexadecimal digits"))?;
    Ok(Authorization {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature,
    })
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses `YYYYMMDDTHHMMSSZ` into seconds since the epoch.
pub(crate) fn parse_amz_date(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let digits = |r: core::ops::Range<usize>| -> Option<&str> {
        let s = text.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then_some(s)
    };
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?
    );
    crate::time::parse(&iso)
}

/// Percent-encodes as SigV4 does (RFC 3986 unreserved characters kept).
fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and leaves malformed ones as they are); `+` stays `+`.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(v) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical query string: parameters decoded, re-encoded, sorted by name then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// A header value as SigV4 canonicalizes it: trimmed, inner runs of spaces folded.
fn fold_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds what the signature check needs. `headers` are (lower-case name, value) in the order
/// received; `path` and `query` as on the request line.
///
/// # Errors
/// IncompleteSignatureException when `x-amz-date` is missing or malformed, or a header the
/// signature must cover (`host`, `x-amz-date`, `x-amz-target`) is not signed or not present.
pub(crate) fn prepare(
    auth: Authorization,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<SignedRequest, ApiError> {
    let amz_date =
        headers.iter().find(|(n, _)| n == "x-amz-date").map(|(_, v)| v.trim().to_owned()).ok_or_else(|| {
            incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header")
        })?;
    let time = parse_amz_date(&amz_date)
        .ok_or_else(|| incomplete(format!("X-Amz-Date {amz_date:?} is not of the form YYYYMMDDTHHMMSSZ")))?;
    for required in ["host", "x-amz-date", "x-amz-target"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(incomplete(format!("Signed headers must include {required}")));
        }
    }
    let string_to_sign = string_to_sign(&auth, &amz_date, method, path, query, headers, body)?;
    Ok(SignedRequest { auth, amz_date, time, string_to_sign })
}

/// The string to sign of a request.
fn string_to_sign(
    auth: &Authorization,
    amz_date: &str,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<String, ApiError> {
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<String> = headers.iter().filter(|(n, _)| n == name).map(|(_, v)| fold_value(v)).collect();
        if values.is_empty() {
            return Err(incomplete(format!("Signed header {name} is not in the request")));
        }
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    let canonical_uri = if path.is_empty() { "/".to_owned() } else { uri_encode(&percent_decode(path), true) };
    let canonical_request = format!(
        "{method}\n{canonical_uri}\n{}\n{canonical_headers}\n{}\n{}",
        canonical_query(query),
        auth.signed_headers.join(";"),
        hex(&Sha256::digest(body)),
    );
    let scope = format!("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
    Ok(format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes()))))
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // HMAC takes keys of any length: new_from_slice cannot fail.
    if let Ok(mut mac) = HmacSha256::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The signing key of `secret` for a day, region and service.
pub(crate) fn signing_key(secret: &[u8], date: &str, region: &str, service: &str) -> Zeroizing<[u8; 32]> {
    let mut first = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    first.extend_from_slice(b"AWS4");
    first.extend_from_slice(secret);
    let k_date = hmac(&first, date.as_bytes());
    let k_region = hmac(k_date.as_slice(), region.as_bytes());
    let k_service = hmac(k_region.as_slice(), service.as_bytes());
    hmac(k_service.as_slice(), b"aws4_request")
}

/// Checks a prepared request's signature under `secret`, then its scope and date, in the
/// order AWS reports them.
///
/// # Errors
/// InvalidSignatureException for a wrong signature, a scope of another region or service or
/// day, or a date outside the allowed skew of `now`.
#[cfg(test)]
pub(crate) fn verify(req: &SignedRequest, secret: &[u8], region: &str, now: u64) -> Result<(), ApiError> {
    let a = &req.auth;
    verify_with_key(req, &signing_key(secret, &a.date, &a.region, &a.service), region, now)
}

/// Checks a prepared request's signature under the signing key of its scope (derived with
/// [`signing_key`], kept between requests: `super::signing_keys`), then its scope and date,
/// in the order AWS reports them.
///
/// # Errors
/// InvalidSignatureException for a wrong signature, a scope of another region or service or
/// day, or a date outside the allowed skew of `now`.
pub(crate) fn verify_with_key(req: &SignedRequest, key: &[u8; 32], region: &str, now: u64) -> Result<(), ApiError> {
    let a = &req.auth;
    let mut mac = HmacSha256::new_from_slice(key.as_slice()).map_err(|_| ApiError::internal("HMAC key refused"))?;
    mac.update(req.string_to_sign.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&a.signature).map_err(|_| {
        ApiError::client(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS \
             Secret Access Key and signing method. Consult the service documentation for details.",
        )
    })?;
    if a.service != "kms" {
        return Err(ApiError::client(
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: 'kms'. (got {:?})", a.service),
        ));
    }
    if a.region != region {
        return Err(ApiError::client(
            "InvalidSignatureException",
            format!("Credential should be scoped to a valid region. (this endpoint is {region:?}, got {:?})", a.region),
        ));
    }
    if req.amz_date.get(..8) != Some(a.date.as_str()) {
        return Err(ApiError::client(
            "InvalidSignatureException",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: {:?} != {:?}",
                a.date,
                req.amz_date.get(..8).unwrap_or("")
            ),
        ));
    }
    if req.time.abs_diff(now) > MAX_SKEW_SECS {
        let stamp = |t: u64| crate::time::iso(t).replace(['-', ':'], "").replace("+0000", "Z");
        let message = if req.time < now {
            format!(
                "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                req.amz_date,
                stamp(now - MAX_SKEW_SECS),
                stamp(now)
            )
        } else {
            format!(
                "Signature not yet current: {} is still later than {} ({} + 5 min.)",
                req.amz_date,
                stamp(now + MAX_SKEW_SECS),
                stamp(now)
            )
        };
        return Err(ApiError::client("InvalidSignatureException", message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the SigV4 documentation (IAM ListUsers, 2015-08-30).
    #[test]
    fn documentation_example() {
        let secret = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let key = signing_key(secret, "20150830", "us-east-1", "iam");
        assert_eq!(hex(key.as_slice()), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        )
        .unwrap();
        let headers = vec![
            ("content-type".to_owned(), "application/x-www-form-urlencoded;   charset=utf-8 ".to_owned()),
            ("host".to_owned(), "iam.amazonaws.com".to_owned()),
            ("x-amz-date".to_owned(), "20150830T123600Z".to_owned()),
        ];
        let query = "Version=2010-05-08&Action=ListUsers";
        // The example signs no x-amz-target (it is not a JSON request): refused by `prepare`...
        let e = prepare(auth.clone(), "GET", "/", query, &headers, b"").unwrap_err();
        assert_eq!(e.code, "IncompleteSignatureException");
        // ...but its signature checks out, then its scope (iam) is refused.
        let string_to_sign = string_to_sign(&auth, "20150830T123600Z", "GET", "/", query, &headers, b"").unwrap();
        let time = parse_amz_date("20150830T123600Z").unwrap();
        let req = SignedRequest { auth, amz_date: "20150830T123600Z".into(), time, string_to_sign };
        let e = verify(&req, secret, "us-east-1", time).unwrap_err();
        assert!(e.message.contains("correct service"), "{}", e.message);
        let e = verify(&req, b"wrong", "us-east-1", time).unwrap_err();
        assert!(e.message.contains("does not match"), "{}", e.message);
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        for h in [
            "",
            "AWS4-HMAC-SHA1 Credential=a/20150830/r/kms/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=a/20150830/r/kms/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=a/2015/r/kms/aws4_request, SignedHeaders=host, Signature=",
            "AWS4-HMAC-SHA256 Credential=a/20150830/r/kms, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=a/20150830/r/kms/aws4_request, SignedHeaders=Host, Signature=00",
        ] {
            assert_eq!(parse_authorization(h).unwrap_err().code, "IncompleteSignatureException", "{h}");
        }
        assert_eq!(parse_amz_date("20261123T192000Z"), crate::time::parse("2026-11-23T19:20:00Z"));
        assert_eq!(parse_amz_date("20261323T192000Z"), None);
        assert_eq!(parse_amz_date("2026112319200Z"), None);
        assert_eq!(canonical_query("b=2&a=%2F&a=1"), "a=%2F&a=1&b=2");
    }
}
