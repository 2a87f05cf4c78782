//! The x86-64 kernels: the portable code recompiled for AVX2, and AVX-512 VNNI by intrinsics.
//!
//! **VNNI signedness.** `vpdpbusd` multiplies *unsigned* bytes of its first operand by *signed*
//! bytes of its second and adds each group of four products to an i32 lane, without saturation.
//! The row is made unsigned by flipping its sign bit (`r ^ 0x80 = r + 128` read as u8), so a lane
//! accumulates `Σ (r + 128)·q = r·q + 128·Σq`; the query's `128·Σq` is subtracted once per row.
//! Every partial sum is bounded by `128 · 255 · 128 < 2²³`, far inside i32.
//!
//! **Reduction.** A 16-row block yields 16 accumulators of 16 lanes each; a transpose-and-add tree
//! (`unpack*_epi32`, `unpack*_epi64`, `shuffle_i32x4`) folds them into one vector whose lane `j` is
//! row `j`'s dot product, about three instructions per row instead of a full horizontal sum each.

use super::portable_dots;
use crate::model::VECTOR_DIMS;
use crate::similarity::vector::Vector;
use std::arch::x86_64::*;

const _: () = assert!(VECTOR_DIMS == 128, "the VNNI kernel reads a vector as two 64-byte halves");

/// Rows per reduction block: one i32 lane of the reduced vector per row.
const BLOCK: usize = 16;

/// True when this machine runs the VNNI kernel.
pub(super) fn has_avx512_vnni() -> bool {
    std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vnni")
}

/// The portable kernel compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn avx2_dots(query: &Vector, rows: &[Vector], out: &mut [i32]) {
    portable_dots(query, rows, out);
}

/// The two 64-byte halves of a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn halves(v: &Vector) -> [__m512i; 2] {
    let p = v.0.as_ptr().cast::<__m512i>();
    // SAFETY: `Vector` is 128 bytes aligned to 64, so both 64-byte loads are in bounds and aligned.
    unsafe { [_mm512_load_si512(p), _mm512_load_si512(p.add(1))] }
}

/// The 16 lanes whose sum is `Σ (row + 128)·query`.
#[inline]
#[target_feature(enable = "avx512f,avx512vnni")]
fn biased_lanes(query: &[__m512i; 2], row: &Vector) -> __m512i {
    let sign = _mm512_set1_epi8(i8::MIN);
    let [lo, hi] = halves(row);
    let acc = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(lo, sign), query[0]);
    _mm512_dpbusd_epi32(acc, _mm512_xor_si512(hi, sign), query[1])
}

/// Lane `j` of the result is the sum of the lanes of `acc[j]`.
#[inline]
#[target_feature(enable = "avx512f")]
fn sum_lanes_of_each(acc: &[__m512i; BLOCK]) -> __m512i {
    // Pairs of rows: per 128-bit lane, (a₀+a₂, b₀+b₂, a₁+a₃, b₁+b₃).
    let mut pairs = [_mm512_setzero_si512(); BLOCK / 2];
    for (i, pair) in pairs.iter_mut().enumerate() {
        let (a, b) = (acc[2 * i], acc[2 * i + 1]);
        *pair = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    }
    // Quads: per 128-bit lane, one partial sum of each of four rows, in row order.
    let mut quads = [_mm512_setzero_si512(); BLOCK / 4];
    for (i, quad) in quads.iter_mut().enumerate() {
        let (c, d) = (pairs[2 * i], pairs[2 * i + 1]);
        *quad = _mm512_add_epi32(_mm512_unpacklo_epi64(c, d), _mm512_unpackhi_epi64(c, d));
    }
    // Across 128-bit lanes: lanes (0, 2) plus lanes (1, 3), twice, leaves quad i in lane i.
    let fold = |x: __m512i, y: __m512i| {
        _mm512_add_epi32(_mm512_shuffle_i32x4::<0b10_00_10_00>(x, y), _mm512_shuffle_i32x4::<0b11_01_11_01>(x, y))
    };
    fold(fold(quads[0], quads[1]), fold(quads[2], quads[3]))
}

/// The VNNI kernel: `out[i] = query · rows[i]`.
///
/// # Safety
/// The CPU must support AVX-512F and AVX-512 VNNI (`has_avx512_vnni`).
#[target_feature(enable = "avx512f,avx512vnni")]
pub(super) unsafe fn vnni_dots(query: &Vector, rows: &[Vector], out: &mut [i32]) {
    let q = halves(query);
    let bias = 128 * query.0.iter().map(|&x| i32::from(x)).sum::<i32>();
    let mut row_blocks = rows.chunks_exact(BLOCK);
    let mut out_blocks = out.chunks_exact_mut(BLOCK);
    for (block, dots) in (&mut row_blocks).zip(&mut out_blocks) {
        let mut acc = [_mm512_setzero_si512(); BLOCK];
        for (lanes, row) in acc.iter_mut().zip(block) {
            *lanes = biased_lanes(&q, row);
        }
        let sums = _mm512_sub_epi32(sum_lanes_of_each(&acc), _mm512_set1_epi32(bias));
        // SAFETY: `dots` holds exactly 16 i32, the 64 bytes stored (unaligned store).
        unsafe { _mm512_storeu_si512(dots.as_mut_ptr().cast(), sums) };
    }
    for (row, dot) in row_blocks.remainder().iter().zip(out_blocks.into_remainder()) {
        *dot = _mm512_reduce_add_epi32(biased_lanes(&q, row)) - bias;
    }
}
