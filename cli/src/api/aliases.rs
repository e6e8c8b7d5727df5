//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use coffer_core::Kms;
use coffer_core::audit::AuditSink;
use coffer_core::clock::Clock;
use coffer_core::hsm::Hsm;
use coffer_core::key::{AliasEntry, AliasName, KeyId};
use coffer_core::kms::Page;
use coffer_core::store::KeyStore;
use serde::{Deserialize, Serialize};

use super::json::FromJson;
use super::keys::{Empty, check_key_id, marker_error, page_limit};
use super::wire::{Timestamp, check_len};
use super::{KmsFailure, Operation};
use crate::error::CliError;

/// The model's bounds on an alias name.
fn check_alias_name(name: &str) -> Result<(), CliError> {
    check_len("AliasName", name, 1, 256)
}

/// CreateAlias and UpdateAlias: a name and the key it points at.
macro_rules! alias_target {
    ($(#[$doc:meta] $name:ident => $method:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub(crate) struct $name {
            pub(crate) alias_name: String,
            pub(crate) target_key_id: String,
        }

        impl FromJson for $name {
            const REQUIRED: &'static [&'static str] = &["AliasName", "TargetKeyId"];
        }

        impl Operation for $name {
            type Response = Empty;

            fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
                &self,
                kms: &mut Kms<H, S, C, A>,
            ) -> Result<Empty, KmsFailure<H, S>> {
                check_alias_name(&self.alias_name)?;
                check_key_id("TargetKeyId", &self.target_key_id)?;
                kms.$method(&self.alias_name, &self.target_key_id)?;
                Ok(Empty {})
            }
        }
    )*};
}

alias_target! {
    /// CreateAlias.
    CreateAliasRequest => create_alias,
    /// UpdateAlias: point an alias at another key.
    UpdateAliasRequest => update_alias,
}

/// DeleteAlias.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteAliasRequest {
    pub(crate) alias_name: String,
}

impl FromJson for DeleteAliasRequest {
    const REQUIRED: &'static [&'static str] = &["AliasName"];
}

impl Operation for DeleteAliasRequest {
    type Response = Empty;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<Empty, KmsFailure<H, S>> {
        check_alias_name(&self.alias_name)?;
        kms.delete_alias(&self.alias_name)?;
        Ok(Empty {})
    }
}

/// ListAliases: one page, of every alias or of one key's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesRequest {
    pub(crate) key_id: Option<String>,
    pub(crate) limit: Option<i64>,
    pub(crate) marker: Option<String>,
}

impl FromJson for ListAliasesRequest {
    const REQUIRED: &'static [&'static str] = &[];
}

/// An alias of ListAliases' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AliasListEntry {
    pub(crate) alias_name: String,
    pub(crate) alias_arn: String,
    pub(crate) target_key_id: String,
    pub(crate) creation_date: Timestamp,
    pub(crate) last_updated_date: Timestamp,
}

/// ListAliases' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesResponse {
    pub(crate) aliases: Vec<AliasListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_marker: Option<String>,
    pub(crate) truncated: bool,
    /// Coffer's addition, only when there is something to say: alias records left out because
    /// they failed authentication (`maintenance` counts them the same way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) coffer_corrupt_records: Option<u32>,
}

impl Operation for ListAliasesRequest {
    type Response = ListAliasesResponse;

    fn run<H: Hsm, S: KeyStore, C: Clock, A: AuditSink>(
        &self,
        kms: &mut Kms<H, S, C, A>,
    ) -> Result<ListAliasesResponse, KmsFailure<H, S>> {
        if let Some(key_id) = &self.key_id {
            check_key_id("KeyId", key_id)?;
        }
        let n = page_limit(self.limit, self.marker.as_deref())?;
        let marker = match &self.marker {
            Some(m) => Some(AliasName::parse(m).map_err(|_| marker_error())?),
            None => None,
        };
        let filler = AliasEntry {
            name: AliasName::parse("alias/x").map_err(|_| marker_error())?,
            target_key_id: KeyId::from_bytes([0; 16]),
            creation_date: 0,
            last_updated_date: 0,
        };
        let mut out = vec![filler; n];
        let Page { count, next_marker, corrupt_records } =
            kms.list_aliases(self.key_id.as_deref(), marker.as_ref(), &mut out)?;
        let prefix = &kms.config().arn;
        let aliases = out
            .iter()
            .take(count)
            .map(|a| AliasListEntry {
                alias_name: a.name.as_str().to_owned(),
                alias_arn: prefix.alias_arn(a.name.as_str()).as_str().to_owned(),
                target_key_id: a.target_key_id.to_string(),
                creation_date: Timestamp(a.creation_date),
                last_updated_date: Timestamp(a.last_updated_date),
            })
            .collect();
        Ok(ListAliasesResponse {
            aliases,
            truncated: next_marker.is_some(),
            next_marker: next_marker.map(|m| m.as_str().to_owned()),
            coffer_corrupt_records: (corrupt_records > 0).then_some(corrupt_records),
        })
    }
}
