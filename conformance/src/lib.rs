#![forbid(unsafe_code)]
//! The conformance suite every Coffer [`Hsm`] backend runs.
//!
//! Written once, run by each backend (the software HSM now, the PKCS#11 backend next): the
//! backend's test file names an expression that builds a **fresh** HSM whose root keys have
//! been created, and [`suite!`] expands into one `#[test]` per check, each with its own HSM
//! (a PKCS#11 backend hands out a fresh token per test).
//!
//! ```ignore
//! // hsm-soft/tests/conformance.rs
//! use coffer_core::hsm::Hsm;
//! use coffer_hsm_soft::SoftHsm;
//! use getrandom::SysRng;
//! use rand_core::UnwrapErr;
//!
//! fn fresh() -> SoftHsm<UnwrapErr<SysRng>> {
//!     let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
//!     hsm.create_root_keys().unwrap();
//!     hsm
//! }
//!
//! coffer_conformance::suite!(fresh());
//! // or, on other stores: a `fixture::Stores` that makes a new empty store per call, or
//! // `None` to skip the tests.
//! // coffer_conformance::suite!(fresh(), stores: Some(Stores::new(|| TestStore::new(open_store()))));
//! ```
//!
//! The checks are plain functions, grouped by topic, so a backend can also call one directly:
//!
//! - [`trait_checks`]: the [`Hsm`] trait alone (seal/open, tamper, handles, MAC, random);
//! - [`cross_root`]: two HSMs with different root keys refuse each other's material;
//! - the KMS façade ([`coffer_core::Kms`]) over the backend, with a store (a [`MemoryStore`]
//!   by default, any [`KeyStore`](coffer_core::KeyStore) a suite names: `coffer-store-pg`
//!   runs the suite on PostgreSQL), a [`ManualClock`] and a [`RingAudit`] ([`fixture`]): [`lifecycle`], [`aliases`],
//!   [`crypto`], [`buffers`] (the same operations into caller buffers), [`rotation`],
//!   [`maintenance`], [`records`] (the record layout, format-1 records and their upgrade),
//!   [`seal_budget`] (a key version's seals counted and bounded), [`limits`] (every limit at its edge),
//!   [`tamper`] (every single-bit flip of a blob and of a sealed record), [`audit`],
//!   [`errors`], [`loaded_keys`] (key versions kept loaded, and released when a record
//!   changes) and [`shared_store`] (the façade on a store several nodes share by
//!   compare-and-swap writes, with another node's writes interleaved).
//!
//! Every check asserts exact values and exact error variants: a check fails if the code under
//! it is wrong, not only if it panics.
//!
//! [`Hsm`]: coffer_core::Hsm
//! [`MemoryStore`]: coffer_core::MemoryStore
//! [`ManualClock`]: coffer_core::clock::ManualClock
//! [`RingAudit`]: coffer_core::audit::RingAudit

// Test support, never shipped (`publish = false`): a failed check panics, which is how a test
// reports it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::missing_panics_doc)]

extern crate alloc;

/// `coffer-core`, re-exported so that [`suite!`] works in crates that do not name it.
pub use coffer_core;

/// Asserts that `$result` is `Err` matching `$pattern`; otherwise panics showing what it was.
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err($pattern) $(if $guard)? => {}
            other => panic!(
                "expected Err({}), got {:?} at {}:{}",
                stringify!($pattern),
                other,
                file!(),
                line!()
            ),
        }
    };
}

pub mod aliases;
pub mod audit;
pub mod buffers;
pub mod cross_root;
pub mod crypto;
pub mod errors;
pub mod fixture;
pub mod lifecycle;
pub mod limits;
pub mod loaded_keys;
pub mod maintenance;
pub mod records;
pub mod rotation;
pub mod seal_budget;
pub mod shared_store;
pub mod tamper;
pub mod trait_checks;

/// Expands into one `#[test]` per conformance check, each given a fresh HSM built by `$make`,
/// and (the façade's checks) the stores it runs on.
///
/// `$make` is an expression whose value implements [`coffer_core::Hsm`] and whose root keys
/// already exist; it is evaluated once per test (twice for the [`cross_root`] checks, which
/// need two HSMs with different root keys). `stores: $stores` (optional) is an expression of
/// type `Option<`[`fixture::Stores`]`>`, evaluated once per test, before the HSM: the stores
/// the façade's checks run on (in-memory ones by default), or `None` to skip the test (a
/// database server that is not installed, say). The tests are grouped in modules named as
/// this crate's modules (`trait_checks::seal_open_round_trip`, ...).
#[macro_export]
macro_rules! suite {
    ($make:expr $(,)?) => {
        $crate::suite!($make, stores: ::core::option::Option::Some($crate::fixture::Stores::memory()));
    };
    ($make:expr, stores: $stores:expr $(,)?) => {
        /// A fresh HSM with root keys, for one conformance test.
        fn __coffer_conformance_hsm() -> impl $crate::coffer_core::Hsm {
            $make
        }

        /// Where one conformance test gets its stores; `None`: the test is skipped.
        fn __coffer_conformance_stores() -> ::core::option::Option<$crate::fixture::Stores> {
            $stores
        }

        $crate::__conformance_tests! {
            hsm:
            trait_checks: [
                capabilities_contain_required,
                find_root_keys_succeeds,
                create_root_keys_again_is_refused,
                fill_random_outputs_differ,
                generated_keys_differ,
                seal_open_round_trip,
                seal_accepts_max_seal_len,
                seal_and_open_refuse_empty_aad,
                nonces_of_successive_seals_differ,
                open_refuses_every_bit_flip,
                open_refuses_another_key,
                failed_open_releases_no_plaintext,
                wrapped_key_bit_flips_fail_to_load,
                reloaded_key_opens_what_it_sealed,
                loaded_keys_are_independent,
                released_handle_is_invalid,
                load_release_cycles_do_not_leak,
                mac_verify_round_trip,
                verify_mac_refuses_every_bit_flip,
            ];
            one:
            loaded_keys: [
                loaded_version_is_reused_then_released_on_drop,
                disable_key_drops_the_loaded_version,
                schedule_key_deletion_drops_the_loaded_version,
                minimum_decryption_version_drops_the_loaded_versions,
                capacity_zero_loads_and_releases_every_time,
                more_keys_than_capacity_evict_the_least_recently_used,
                an_unchanged_key_record_is_authenticated_once,
            ],
            lifecycle: [
                create_and_describe,
                key_ids_are_unique_uuid_v4,
                describe_unknown_or_malformed_reference,
                disable_and_enable,
                schedule_and_cancel_deletion,
                default_pending_window_is_30_days,
                cancel_deletion_of_a_key_not_pending_is_refused,
                update_key_description,
                list_keys_pages_return_every_key_once,
                list_keys_of_empty_store,
                state_survives_a_new_facade,
            ],
            aliases: [
                alias_resolves_by_name_and_arn,
                duplicate_alias_is_refused,
                alias_targets_are_checked,
                update_alias_repoints,
                update_alias_refusals_change_nothing,
                delete_alias,
                list_aliases_pages_and_filter,
                list_aliases_skips_a_corrupt_alias_record,
            ],
            crypto: [
                encrypt_decrypt_round_trip,
                encrypt_through_every_key_reference,
                blobs_of_the_same_plaintext_differ,
                context_must_match,
                context_order_does_not_matter,
                expected_key_mismatch_is_incorrect_key,
                disabled_and_pending_keys_refuse_crypto,
                re_encrypt_to_another_key_and_context,
                re_encrypt_refusals,
                generate_data_key_lengths_and_round_trip,
                generate_data_key_without_plaintext,
                generate_random_lengths_and_freshness,
                failed_decrypts_release_their_handles,
            ],
            buffers: [
                encrypt_and_decrypt_into_buffers_at_their_edge,
                a_failed_decrypt_into_leaves_no_bytes_in_the_buffer,
                re_encrypt_into_a_buffer_at_its_edge,
                generate_data_key_into_buffers_at_their_edge,
                long_and_short_contexts_on_either_aad_path,
            ],
            rotation: [
                rotate_on_demand_keeps_old_blobs,
                rotate_on_demand_refused_for_unusable_keys,
                rotation_status_enable_disable,
                rotation_status_is_false_while_pending_deletion,
                list_key_rotations_pages,
                list_key_rotations_refuses_a_marker_it_never_gave,
                minimum_decryption_version_retires_old_versions,
            ],
            records: [
                hundred_automatic_rotations_keep_every_blob_decryptable,
                on_demand_rotation_cap_at_its_edge,
                on_demand_rotation_cap_is_configurable,
                the_hot_path_reads_only_the_key_record,
                version_and_description_records_live_and_die_with_the_key,
                maintenance_removes_records_no_key_refers_to,
                version_and_description_records_are_bound_to_their_key_and_number,
                format1_record_opens_and_is_upgraded,
                maintenance_rewrites_format1_records,
            ],
            seal_budget: [
                the_last_allowed_seal_and_the_first_past_it,
                the_count_survives_a_new_facade_and_a_crash_counts_the_batch,
                facades_taking_turns_reserve_disjoint_batches,
                budget_rotation_keeps_the_schedule,
                a_budget_rotation_that_fails_refuses_the_seal,
                uncounted_records_rotate_at_their_first_seal,
            ],
            maintenance: [
                deletion_happens_at_the_date_not_before,
                cancelled_deletion_is_not_applied,
                automatic_rotation_when_due_not_before,
                automatic_rotation_skips_disabled_keys,
                on_demand_rotation_keeps_the_schedule,
                nothing_due_changes_nothing,
                corrupt_alias_does_not_block_deletion,
                stray_record_names_are_skipped,
            ],
            limits: [
                pending_window_edges,
                rotation_period_edges,
                plaintext_length_edges,
                data_key_length_edges,
                generate_random_length_edges,
                description_length_edges,
                alias_name_edges,
                list_limit_edges,
                ciphertext_input_length_edges,
                store_full,
            ],
            shared_store: [
                descriptions_are_read_before_they_are_replaced,
                maintenance_spares_a_rotation_in_flight,
                maintenance_spares_a_create_in_flight,
            ],
            tamper: [
                every_blob_bit_flip_is_refused,
                truncated_or_extended_blobs_are_refused,
                edited_blob_header_is_refused,
                every_key_record_bit_flip_is_refused,
                every_alias_record_bit_flip_is_refused,
                corrupt_record_is_refused_everywhere_and_left_alone,
                record_moved_under_another_name_is_refused,
            ],
            audit: [
                one_event_per_call,
                failures_name_code_and_resolved_key,
                maintenance_events,
                events_never_contain_plaintext,
            ],
            errors: [
                error_codes,
                error_kinds,
                a_store_breaking_its_contract_is_internal,
                plaintext_limit_message_mentions_data_keys,
            ];
            two:
            cross_root: [
                wrapped_key_from_another_root_is_refused,
                mac_from_another_root_is_refused,
                records_from_another_root_are_refused,
            ],
        }
    };
}

/// Implementation detail of [`suite!`]: one module of tests per topic.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    (
        hsm: $( $module0:ident : [ $( $check0:ident ),* $(,)? ] ),* ;
        one: $( $module:ident : [ $( $check:ident ),* $(,)? ] ),* ;
        two: $( $module2:ident : [ $( $check2:ident ),* $(,)? ] ),* $(,)?
    ) => {
        $(
            mod $module0 {
                $(
                    #[test]
                    fn $check0() {
                        $crate::$module0::$check0(super::__coffer_conformance_hsm());
                    }
                )*
            }
        )*
        $(
            mod $module {
                $(
                    #[test]
                    fn $check() {
                        let ::core::option::Option::Some(stores) = super::__coffer_conformance_stores() else {
                            return;
                        };
                        $crate::$module::$check(super::__coffer_conformance_hsm(), &stores);
                    }
                )*
            }
        )*
        $(
            mod $module2 {
                $(
                    #[test]
                    fn $check2() {
                        let ::core::option::Option::Some(stores) = super::__coffer_conformance_stores() else {
                            return;
                        };
                        $crate::$module2::$check2(
                            super::__coffer_conformance_hsm(),
                            super::__coffer_conformance_hsm(),
                            &stores,
                        );
                    }
                )*
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    /// The check modules' sources.
    const MODULES: [&str; 16] = [
        include_str!("trait_checks.rs"),
        include_str!("cross_root.rs"),
        include_str!("lifecycle.rs"),
        include_str!("aliases.rs"),
        include_str!("crypto.rs"),
        include_str!("rotation.rs"),
        include_str!("maintenance.rs"),
        include_str!("limits.rs"),
        include_str!("tamper.rs"),
        include_str!("audit.rs"),
        include_str!("errors.rs"),
        include_str!("records.rs"),
        include_str!("buffers.rs"),
        include_str!("seal_budget.rs"),
        include_str!("loaded_keys.rs"),
        include_str!("shared_store.rs"),
    ];

    /// Every check (a `pub fn name<H: Hsm>(` of a check module) is listed in `suite!`, once,
    /// and `suite!` lists nothing else: a check left out of the macro would never run. (A name
    /// listed under the wrong module does not compile.)
    #[test]
    fn suite_lists_every_check() {
        let lib = include_str!("lib.rs");
        let start = lib.find("hsm:\n").expect("suite! body");
        let end = lib.find("/// Implementation detail").expect("end of suite!");
        let mut listed: Vec<&str> = lib[start..end]
            .lines()
            .filter_map(|l| l.trim().strip_suffix(','))
            .filter(|l| l.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'))
            .collect();
        let mut checks: Vec<&str> = MODULES
            .iter()
            .flat_map(|source| source.lines())
            .filter_map(|line| line.strip_prefix("pub fn "))
            .filter_map(|rest| rest.find("<H: Hsm>(").map(|i| &rest[..i]))
            .collect();
        let count = listed.len();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(listed.len(), count, "a check is listed twice");
        checks.sort_unstable();
        assert_eq!(listed, checks);
        assert!(checks.len() >= 80, "the parse found the checks");
    }
}
