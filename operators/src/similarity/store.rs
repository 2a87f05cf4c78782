//! The resident vectors of a join, in slots: the layout a GPU join mirrors in device memory.
//!
//! Structure of arrays indexed by slot: `vectors` (slots × 128 int8, row-major, 64-byte aligned)
//! with their `norms` (i32, `|v|²`) and `roots` (i32, `⌊|v|⌋`), `sizes` (u32), `keys` (i64), plus a
//! LIFO free list and a key → slot map on the host. A freed slot is overwritten with the zero
//! vector (norm 0), which passes no threshold, so a scan runs over every slot, free ones included,
//! with no occupancy mask.

use super::blocked::Rows;
use super::contract::UnitKey;
use super::vector::{Entry, Vector};
use std::collections::HashMap;

/// Resident vectors in slots, with a free list.
#[derive(Clone, Debug, Default)]
pub struct ResidentStore {
    rows: Rows,
    sizes: Vec<u32>,
    keys: Vec<UnitKey>,
    free: Vec<usize>,
    slots: HashMap<UnitKey, usize>,
}

impl ResidentStore {
    /// Resident vectors.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing is resident.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The slot holding `key`.
    pub fn slot_of(&self, key: UnitKey) -> Option<usize> {
        self.slots.get(&key).copied()
    }

    /// The key in an occupied `slot`.
    pub fn key(&self, slot: usize) -> UnitKey {
        self.keys[slot]
    }

    /// The size in an occupied `slot` (whatever it last held in a free one).
    pub fn size(&self, slot: usize) -> u32 {
        self.sizes[slot]
    }

    /// The entry in an occupied `slot`.
    pub fn entry(&self, slot: usize) -> Entry {
        Entry { key: self.keys[slot], size: self.sizes[slot], vector: *self.rows.vector(slot) }
    }

    /// Every slot's vector (the zero vector in a free slot), for a scan.
    pub fn rows(&self) -> &Rows {
        &self.rows
    }

    /// Puts a non-resident `entry` in a slot (the last freed one, else a new one) and returns it.
    pub fn insert(&mut self, entry: &Entry) -> usize {
        debug_assert!(!self.slots.contains_key(&entry.key), "unit key {} is resident", entry.key);
        let slot = self.free.pop().unwrap_or_else(|| {
            self.rows.push(Vector::ZERO);
            self.sizes.push(0);
            self.keys.push(0);
            self.keys.len() - 1
        });
        self.rows.set(slot, entry.vector);
        self.sizes[slot] = entry.size;
        self.keys[slot] = entry.key;
        self.slots.insert(entry.key, slot);
        slot
    }

    /// Frees the slot of `key`, zeroing its vector; returns the slot, `None` if `key` is not resident.
    pub fn remove(&mut self, key: UnitKey) -> Option<usize> {
        let slot = self.slots.remove(&key)?;
        self.rows.set(slot, Vector::ZERO);
        self.free.push(slot);
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: UnitKey, first: i8) -> Entry {
        let mut vector = Vector::ZERO;
        vector.0[0] = first;
        Entry { key, size: 10, vector }
    }

    #[test]
    fn freed_slots_are_zeroed_and_reused_last_first() {
        let mut store = ResidentStore::default();
        let slots: Vec<usize> = (0..3).map(|k| store.insert(&entry(k, 5))).collect();
        assert_eq!(slots, [0, 1, 2]);
        assert_eq!(store.remove(0), Some(0));
        assert_eq!(store.remove(2), Some(2));
        assert_eq!(store.remove(2), None);
        assert_eq!((*store.rows().vector(2), store.rows().norm(2)), (Vector::ZERO, 0));
        assert_eq!(store.insert(&entry(7, 3)), 2);
        assert_eq!(store.insert(&entry(8, 4)), 0);
        assert_eq!(store.insert(&entry(9, 2)), 3);
        assert_eq!((store.len(), store.rows().len()), (4, 4));
        assert_eq!(store.entry(store.slot_of(8).unwrap()), entry(8, 4));
        assert_eq!(store.rows().norm(0), 16);
    }
}
