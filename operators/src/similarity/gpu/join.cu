// The similarity join on the device (ARCHITECTURE §4a), compiled at run time by NVRTC for the
// device's architecture (sm_80 or newer: int8 mma.sync).
//
// Every kernel decides a pair with `consider`, the exact integer test of contract.rs: a cheap
// necessary condition in i32 (100·d ≥ θ·⌊|q|⌋·⌊|r|⌋), then d > 0 ∧ 100²·d² ≥ θ²·|q|²·|r|² in
// i64, then the size ratio 100·min ≥ ratio·max in u64. A passing pair is appended to the hit
// buffer (query, row, dot) through one atomic counter; past the buffer's capacity the counter
// still counts, so the host sees the overflow and runs the launch again with room for every hit.
//
// Rows are 128 int8 components, 128 bytes each; a side's buffers are padded to whole tiles of
// zero vectors (norm 0), so tiles are read without bounds checks and padding never passes.

#define DIMS 128
#define TILE 128
#define ROW_STRIDE 144 /* bytes per row in shared memory: 128 + 16, conflict-free fragment loads */

extern "C" {

__device__ __forceinline__ void consider(
    int dot, int query, int row,
    int norm_q, int root_q, unsigned size_q,
    int norm_r, int root_r, unsigned size_r,
    int theta, int ratio,
    int *hits, unsigned *hit_count, unsigned hit_capacity)
{
    if (dot <= 0 || 100 * dot < theta * root_q * root_r) {
        return;
    }
    long long d = dot;
    long long t = theta;
    if (10000LL * d * d < t * t * (long long)norm_q * (long long)norm_r) {
        return;
    }
    unsigned long long small = size_q < size_r ? size_q : size_r;
    unsigned long long large = size_q < size_r ? size_r : size_q;
    if (100ULL * small < (unsigned long long)ratio * large) {
        return;
    }
    unsigned slot = atomicAdd(hit_count, 1u);
    if (slot < hit_capacity) {
        hits[3 * slot] = query;
        hits[3 * slot + 1] = row;
        hits[3 * slot + 2] = dot;
    }
}

// True when the pair (query, row), as indices of one set, is not one a self-join emits.
__device__ __forceinline__ bool skipped(int triangular, int query, int row)
{
    return triangular && row <= query;
}

// A tile of a side in shared memory: 128 vectors (rows padded to ROW_STRIDE) and their norms,
// roots and sizes. A block holds three: its row tile and two query tiles, one being computed while
// the next is copied in.
struct SharedTile {
    signed char vectors[TILE * ROW_STRIDE];
    int norms[TILE];
    int roots[TILE];
    unsigned sizes[TILE];
};

// Starts copying one tile of a side (128 vectors from `first`, with their norms, roots and sizes)
// into `tile`, 16 bytes per cp.async, without waiting; every thread of the block takes part.
// `first` is a multiple of TILE, so every source is 16-byte aligned.
__device__ __forceinline__ void copy_tile(
    const signed char *vectors, const int *norms, const int *roots, const unsigned *sizes, int first,
    SharedTile &tile)
{
    for (int i = threadIdx.x; i < TILE * DIMS / 16; i += blockDim.x) {
        const int row = i / (DIMS / 16), column = (i % (DIMS / 16)) * 16;
        const unsigned to = (unsigned)__cvta_generic_to_shared(&tile.vectors[row * ROW_STRIDE + column]);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(to), "l"(&vectors[(size_t)(first + row) * DIMS + column]));
    }
    const int per_array = TILE * 4 / 16;
    if (threadIdx.x < 3 * per_array) {
        const int array = threadIdx.x / per_array, at = (threadIdx.x % per_array) * 4;
        const void *from = array == 0 ? (const void *)&norms[first + at]
                         : array == 1 ? (const void *)&roots[first + at]
                                      : (const void *)&sizes[first + at];
        void *into = array == 0 ? (void *)&tile.norms[at] : array == 1 ? (void *)&tile.roots[at] : (void *)&tile.sizes[at];
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"((unsigned)__cvta_generic_to_shared(into)), "l"(from));
    }
    asm volatile("cp.async.commit_group;\n" ::);
}

// Waits for this thread's tile copies.
__device__ __forceinline__ void wait_for_copies()
{
    asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}

// The dot product of two rows of tiles in shared memory, exact in i32 like the tensor cores'.
__device__ __forceinline__ int shared_dot(const signed char *a, const signed char *b)
{
    int dot = 0;
#pragma unroll
    for (int k = 0; k < DIMS; k += 4) {
        dot = __dp4a(*(const int *)&a[k], *(const int *)&b[k], dot);
    }
    return dot;
}

// Blocks of 256 threads (8 warps as 2 × 4, each warp 64 queries × 32 rows of a 128 × 128 tile),
// int8 tensor-core products accumulated in i32 (mma.sync m16n8k32), the threshold fused in the
// epilogue: the query × row matrix never leaves registers. The epilogue first marks the elements
// that pass the necessary i32 test (100·d ≥ θ·⌊|q|⌋·⌊|r|⌋, d > 0), then decides only those.
//
// A block loads one row tile into shared memory once and walks `q_tiles_per_block` query tiles
// against it, copying the next query tile in while it computes one (dynamic shared memory: three
// SharedTiles). grid.x: row tiles, grid.y: runs of query tiles; the blocks that run together share
// their query tiles, which stay in L2, while each row tile is read from device memory once per run.
// `query_base` and `row_base` are the set indices of the first query and row given (hits carry
// set indices). With `triangular` the two sides are one set and only row > query is considered.
__global__ void __launch_bounds__(256, 2) join_tiles(
    const signed char *q_vectors, const int *q_norms, const int *q_roots, const unsigned *q_sizes,
    int q_count, int query_base,
    const signed char *r_vectors, const int *r_norms, const int *r_roots, const unsigned *r_sizes,
    int r_count, int row_base,
    int triangular, int theta, int ratio, int q_tiles_per_block,
    int *hits, unsigned *hit_count, unsigned hit_capacity)
{
    extern __shared__ __align__(16) unsigned char shared[];
    SharedTile &row_tile = *reinterpret_cast<SharedTile *>(shared);
    SharedTile *query_tiles = &row_tile + 1;

    const int r_tile = blockIdx.x * TILE;
    const int first_q_tile = blockIdx.y * q_tiles_per_block * TILE;
    int end_q_tile = min(first_q_tile + q_tiles_per_block * TILE, q_count);
    if (triangular) {
        // A query tile from here on holds no row > query.
        end_q_tile = min(end_q_tile, row_base + r_tile + TILE - 1 - query_base);
    }
    if (first_q_tile >= end_q_tile) {
        return;
    }
    const signed char *sr = row_tile.vectors;
    const int *norm_r = row_tile.norms, *root_r = row_tile.roots;
    const unsigned *size_r = row_tile.sizes;
    copy_tile(r_vectors, r_norms, r_roots, r_sizes, r_tile, row_tile);
    copy_tile(q_vectors, q_norms, q_roots, q_sizes, first_q_tile, query_tiles[0]);

    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int group = lane / 4, in_group = lane % 4;
    const int warp_q = (warp / 4) * 64, warp_r = (warp % 4) * 32;
    int buffer = 0;
    for (int q_tile = first_q_tile; q_tile < end_q_tile; q_tile += TILE, buffer ^= 1) {
        wait_for_copies();
        // This tile is in shared memory for every thread, and every thread is done with the
        // previous one, whose buffer takes the next tile while this one is computed.
        __syncthreads();
        if (q_tile + TILE < end_q_tile) {
            copy_tile(q_vectors, q_norms, q_roots, q_sizes, q_tile + TILE, query_tiles[buffer ^ 1]);
        }
        const signed char *sq = query_tiles[buffer].vectors;
        const int *norm_q = query_tiles[buffer].norms, *root_q = query_tiles[buffer].roots;
        const unsigned *size_q = query_tiles[buffer].sizes;

        int acc[4][4][4];
#pragma unroll
        for (int m = 0; m < 4; m++)
#pragma unroll
            for (int n = 0; n < 4; n++)
#pragma unroll
                for (int i = 0; i < 4; i++)
                    acc[m][n][i] = 0;

#pragma unroll
        for (int k = 0; k < DIMS; k += 32) {
            unsigned a[4][4], b[4][2];
#pragma unroll
            for (int m = 0; m < 4; m++) {
                const signed char *top = &sq[(warp_q + m * 16 + group) * ROW_STRIDE + k + in_group * 4];
                const signed char *bottom = top + 8 * ROW_STRIDE;
                a[m][0] = *(const unsigned *)top;
                a[m][1] = *(const unsigned *)bottom;
                a[m][2] = *(const unsigned *)(top + 16);
                a[m][3] = *(const unsigned *)(bottom + 16);
            }
#pragma unroll
            for (int n = 0; n < 4; n++) {
                const signed char *column = &sr[(warp_r + n * 8 + group) * ROW_STRIDE + k + in_group * 4];
                b[n][0] = *(const unsigned *)column;
                b[n][1] = *(const unsigned *)(column + 16);
            }
#pragma unroll
            for (int m = 0; m < 4; m++)
#pragma unroll
                for (int n = 0; n < 4; n++)
                    asm volatile(
                        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
                        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                        : "+r"(acc[m][n][0]), "+r"(acc[m][n][1]), "+r"(acc[m][n][2]), "+r"(acc[m][n][3])
                        : "r"(a[m][0]), "r"(a[m][1]), "r"(a[m][2]), "r"(a[m][3]), "r"(b[n][0]), "r"(b[n][1]));
        }

        // The cheap necessary test of every element, in registers: a 64-bit mask of candidates.
        int limit_q[4][2], root_of_r[4][2];
#pragma unroll
        for (int h = 0; h < 2; h++) {
#pragma unroll
            for (int m = 0; m < 4; m++)
                limit_q[m][h] = theta * root_q[warp_q + m * 16 + group + h * 8];
#pragma unroll
            for (int n = 0; n < 4; n++)
                root_of_r[n][h] = root_r[warp_r + n * 8 + in_group * 2 + h];
        }
        unsigned long long candidates = 0;
#pragma unroll
        for (int m = 0; m < 4; m++)
#pragma unroll
            for (int n = 0; n < 4; n++)
#pragma unroll
                for (int i = 0; i < 4; i++) {
                    const int dot = acc[m][n][i];
                    if (dot > 0 && 100 * dot >= limit_q[m][i / 2] * root_of_r[n][i % 2]) {
                        candidates |= 1ULL << ((m * 4 + n) * 4 + i);
                    }
                }
        // The rare candidates: bounds, the triangle and the exact test, their dot taken again
        // from shared memory (the same exact i32 sum) so that the loop above stays small.
        while (candidates) {
            const int element = __ffsll(candidates) - 1;
            candidates &= candidates - 1;
            const int m = element >> 4, n = (element >> 2) & 3, i = element & 3;
            const int q = warp_q + m * 16 + group + (i / 2) * 8;
            const int r = warp_r + n * 8 + in_group * 2 + (i % 2);
            const int query = query_base + q_tile + q, row = row_base + r_tile + r;
            if (q_tile + q >= q_count || r_tile + r >= r_count || skipped(triangular, query, row)) {
                continue;
            }
            consider(shared_dot(&sq[q * ROW_STRIDE], &sr[r * ROW_STRIDE]), query, row, norm_q[q], root_q[q],
                     size_q[q], norm_r[r], root_r[r], size_r[r], theta, ratio, hits, hit_count, hit_capacity);
        }
    }
}

// The threshold of the cuBLAS path: `dots` holds the int8 GEMM of a block, column-major,
// dots[r + q·rows] = row r · query q (rows padded to `rows`, a multiple of 4), and every
// element is decided like join_tiles decides it.
__global__ void threshold_block(
    const int *dots, int rows,
    const int *q_norms, const int *q_roots, const unsigned *q_sizes, int q_count, int query_base,
    const int *r_norms, const int *r_roots, const unsigned *r_sizes, int r_count, int row_base,
    int triangular, int theta, int ratio,
    int *hits, unsigned *hit_count, unsigned hit_capacity)
{
    const size_t total = (size_t)rows * q_count;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int r = (int)(i % rows), q = (int)(i / rows);
        const int query = query_base + q, row = row_base + r;
        if (r >= r_count || skipped(triangular, query, row)) {
            continue;
        }
        consider(dots[i], query, row, q_norms[q], q_roots[q], q_sizes[q], r_norms[r], r_roots[r], r_sizes[r],
                 theta, ratio, hits, hit_count, hit_capacity);
    }
}

// Writes `count` slots of a resident set: slot slots[i] takes vector i, its norm, root and size
// (a freed slot takes the zero vector). One thread per 16 bytes of vector.
__global__ void scatter_slots(
    const int *slots, const signed char *vectors, const int *norms, const int *roots, const unsigned *sizes,
    int count,
    signed char *r_vectors, int *r_norms, int *r_roots, unsigned *r_sizes)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    const int update = i / (DIMS / 16), part = i % (DIMS / 16);
    if (update >= count) {
        return;
    }
    const size_t slot = slots[update];
    *(uint4 *)&r_vectors[slot * DIMS + part * 16] = *(const uint4 *)&vectors[(size_t)update * DIMS + part * 16];
    if (part == 0) {
        r_norms[slot] = norms[update];
        r_roots[slot] = roots[update];
        r_sizes[slot] = sizes[update];
    }
}

} // extern "C"
