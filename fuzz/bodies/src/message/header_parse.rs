//! Message header parsing of arbitrary bytes: a typed error or a header, never a panic; a
//! parsed header spans only bytes it was given, and an incomplete one asks for more than it had.

use coffer_core::message::{Header, HeaderError, Limits};

/// The `message_header_parse` target.
pub fn run(data: &[u8]) {
    for limits in [Limits::default(), Limits { max_encrypted_data_keys: 16 }] {
        match Header::parse(data, &limits) {
            Ok((header, len)) => {
                assert!(len <= data.len());
                assert!(header.body.len() + 16 == len);
                assert!(header.edks.len() <= limits.max_encrypted_data_keys);
                // The same bytes without what follows parse the same way.
                let (again, len2) = Header::parse(&data[..len], &limits).expect("a header reparses");
                assert_eq!(len, len2);
                assert_eq!(header.message_id, again.message_id);
            }
            Err(HeaderError::Incomplete { needed }) => assert!(needed > data.len()),
            Err(_) => {}
        }
    }
}
