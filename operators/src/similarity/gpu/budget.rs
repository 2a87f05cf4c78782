//! The device memory a GPU join may hold (`--gpu-memory`), and the sizes it allocates in: sides
//! padded to whole tiles, buffers grown geometrically up to the limit and refused beyond it.

use crate::similarity::interface::JoinError;

/// Vectors per tile of the kernels (both sides); every device side is padded to whole tiles.
pub const TILE: usize = 128;

/// Device bytes per vector of a side: the int8 vector, its norm, root and size.
pub const BYTES_PER_VECTOR: u64 = 128 + 4 + 4 + 4;

/// Device bytes per hit: query, row and dot product, each an i32.
pub const BYTES_PER_HIT: u64 = 12;

const MIB: u64 = 1 << 20;

/// `count` rounded up to whole tiles (at least one tile, so that no buffer is empty).
pub fn padded(count: usize) -> usize {
    count.max(1).div_ceil(TILE) * TILE
}

/// The capacity to grow a buffer of `current` elements to so that it holds `needed`: doubling
/// (so that a growing set reallocates O(log n) times), padded to tiles.
pub fn grown(current: usize, needed: usize) -> usize {
    padded(needed.max(current.saturating_mul(2)))
}

/// The device bytes a join holds, against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    limit: u64,
    held: u64,
}

impl Budget {
    /// A budget of `limit_mib` MiB, nothing held.
    pub fn new(limit_mib: u64) -> Budget {
        Budget { limit: limit_mib.saturating_mul(MIB), held: 0 }
    }

    /// The limit in MiB.
    pub fn limit_mib(self) -> u64 {
        self.limit / MIB
    }

    /// Bytes held.
    pub fn held(self) -> u64 {
        self.held
    }

    /// Stops accounting for a buffer of `bytes`.
    pub fn release(&mut self, bytes: u64) {
        self.held -= bytes.min(self.held);
    }

    /// Accounts for replacing a buffer of `old` bytes with one of `new` bytes; refuses (holding
    /// what it held) when the total would pass the limit.
    pub fn replace(&mut self, old: u64, new: u64) -> Result<(), JoinError> {
        let total = self.held - old.min(self.held) + new;
        if total > self.limit {
            return Err(JoinError::DeviceMemory { needed_mib: total.div_ceil(MIB), limit_mib: self.limit_mib() });
        }
        self.held = total;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_padded_to_whole_tiles_and_grow_by_doubling() {
        assert_eq!((padded(0), padded(1), padded(128), padded(129)), (128, 128, 128, 256));
        assert_eq!(grown(0, 5), 128);
        assert_eq!(grown(128, 129), 256);
        assert_eq!(grown(256, 1000), 1024);
        assert_eq!(grown(1024, 1025), 2048);
    }

    #[test]
    fn the_budget_refuses_past_its_limit_and_keeps_what_it_held() {
        let mut budget = Budget::new(1);
        budget.replace(0, 600 * 1024).unwrap();
        budget.replace(600 * 1024, 1000 * 1024).unwrap();
        assert_eq!(budget.held(), 1000 * 1024);
        let refusal = budget.replace(0, 100 * 1024).unwrap_err();
        assert_eq!(refusal, JoinError::DeviceMemory { needed_mib: 2, limit_mib: 1 });
        assert!(refusal.to_string().contains("--gpu-memory"));
        assert_eq!(budget.held(), 1000 * 1024);
        budget.replace(1000 * 1024, MIB).unwrap();
    }
}
