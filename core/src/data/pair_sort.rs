//! Sorting a context's pairs by key without `core`'s general sort.
//!
//! Without `std` a context holds at most [`MAX_CONTEXT_PAIRS`](super::MAX_CONTEXT_PAIRS) (16)
//! pairs, and an insertion sort of 16 elements is a few dozen instructions, where
//! `sort_unstable_by` links core's pattern-defeating quicksort with its heapsort fallback and
//! small-sort networks: about 3 KB of flash on a Cortex-M4 for no gain at this size. Hosts,
//! whose contexts may hold thousands of pairs, keep the general sort past 16 pairs.

/// Up to this many pairs, an insertion sort; past it (hosts only), core's general sort.
#[cfg(feature = "std")]
const SHORT: usize = 16;

/// Sorts `pairs` by the bytes of their keys, in place.
pub(crate) fn sort_by_key(pairs: &mut [(&str, &str)]) {
    #[cfg(feature = "std")]
    if pairs.len() > SHORT {
        pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        return;
    }
    insertion_sort_by_key(pairs);
}

/// Sorts `pairs` by the bytes of their keys, in place: quadratic, for short slices only.
fn insertion_sort_by_key(pairs: &mut [(&str, &str)]) {
    for end in 1..pairs.len() {
        // Moves the pair at `end` down past every pair whose key is greater.
        for i in (0..end).rev() {
            match pairs.get_mut(i..).and_then(|rest| rest.get_mut(..2)) {
                Some([a, b]) if a.0.as_bytes() > b.0.as_bytes() => core::mem::swap(a, b),
                _ => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::vec::Vec;

    /// Every permutation of `items` (Heap's algorithm).
    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        fn heap<T: Clone>(k: usize, a: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
            if k <= 1 {
                out.push(a.clone());
                return;
            }
            for i in 0..k {
                heap(k - 1, a, out);
                let j = if k.is_multiple_of(2) { i } else { 0 };
                a.swap(j, k - 1);
            }
        }
        let mut out = Vec::new();
        heap(items.len(), &mut items.to_vec(), &mut out);
        out
    }

    #[test]
    fn sorts_every_permutation_as_the_general_sort_does() {
        // Keys that share prefixes, differ only in length, and compare by bytes rather than by
        // characters (the non-ASCII key sorts after every ASCII one).
        let pairs = [("b", "1"), ("a", "2"), ("ab", "3"), ("", "4"), ("é", "5"), ("aa", "6"), ("Z", "7")];
        for mut p in permutations(&pairs) {
            let mut expected = p.clone();
            expected.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            insertion_sort_by_key(&mut p);
            assert_eq!(p, expected);
        }
    }

    #[test]
    fn sixteen_pairs_in_reverse_order() {
        let keys = ["p", "o", "n", "m", "l", "k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"];
        let mut pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, "v")).collect();
        insertion_sort_by_key(&mut pairs);
        let sorted: Vec<&str> = pairs.iter().map(|p| p.0).collect();
        let mut expected = keys.to_vec();
        expected.reverse();
        assert_eq!(sorted, expected);
    }

    /// Both sides of the switch to the general sort (hosts), and the insertion sort alone
    /// (devices), give the same order.
    #[test]
    fn short_and_long_slices_sort_alike() {
        let keys: Vec<[u8; 2]> = (0u8..40).map(|i| [b'a' + (i % 26) * 7 % 26, b'a' + i % 3]).collect();
        for n in [15, 16, 17, 40] {
            let mut pairs: Vec<(&str, &str)> =
                keys[..n].iter().map(|k| (core::str::from_utf8(k).unwrap(), "v")).collect();
            let mut expected = pairs.clone();
            expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            sort_by_key(&mut pairs);
            assert_eq!(pairs, expected, "{n} pairs");
        }
    }

    #[test]
    fn empty_and_single() {
        let mut none: [(&str, &str); 0] = [];
        insertion_sort_by_key(&mut none);
        let mut one = [("k", "v")];
        insertion_sort_by_key(&mut one);
        assert_eq!(one, [("k", "v")]);
    }
}
