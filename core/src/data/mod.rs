//! What KMS keys protect: caller plaintext and data keys, as ciphertext blobs bound to an
//! encryption context.

mod blob;
mod context;
mod data_key;
mod pair_sort;

pub use blob::{
    BLOB_HEADER_LEN, BLOB_OVERHEAD, BLOB_VERSION, BlobHeader, Ciphertext, InvalidBlob, MAX_BLOB_LEN,
    MAX_CIPHERTEXT_INPUT_LEN, MAX_PLAINTEXT_LEN, blob_len,
};
pub(crate) use blob::{BlobOut, ParsedBlob, with_blob_aad};
pub use context::{ContextError, EncryptionContext, MAX_CONTEXT_ENCODED_LEN, MAX_CONTEXT_PAIRS};
pub use data_key::{DataKey, DataKeySpec, MAX_DATA_KEY_LEN};
