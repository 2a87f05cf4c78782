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

// One 128×128 tile of queries × rows per block of 256 threads (8 warps as 2 × 4, each warp
// 64 queries × 32 rows), int8 tensor-core products accumulated in i32 (mma.sync m16n8k32), the
// threshold fused in the epilogue: the query × row matrix never leaves registers.
//
// grid.x: row tiles, grid.y: query tiles. `query_base` and `row_base` are the set indices of the
// first query and row given (hits carry set indices). With `triangular` the two sides are one
// set and only row > query is considered.
__global__ void __launch_bounds__(256) join_tiles(
    const signed char *q_vectors, const int *q_norms, const int *q_roots, const unsigned *q_sizes,
    int q_count, int query_base,
    const signed char *r_vectors, const int *r_norms, const int *r_roots, const unsigned *r_sizes,
    int r_count, int row_base,
    int triangular, int theta, int ratio,
    int *hits, unsigned *hit_count, unsigned hit_capacity)
{
    __shared__ __align__(16) signed char sq[TILE * ROW_STRIDE];
    __shared__ __align__(16) signed char sr[TILE * ROW_STRIDE];
    __shared__ int norm_q[TILE], root_q[TILE], norm_r[TILE], root_r[TILE];
    __shared__ unsigned size_q[TILE], size_r[TILE];

    const int q_tile = blockIdx.y * TILE;
    const int r_tile = blockIdx.x * TILE;
    if (triangular && row_base + r_tile + TILE - 1 <= query_base + q_tile) {
        return;
    }
    const int tid = threadIdx.x;
    for (int i = tid; i < TILE * DIMS / 16; i += blockDim.x) {
        const int row = i / (DIMS / 16);
        const int column = (i % (DIMS / 16)) * 16;
        *(uint4 *)&sq[row * ROW_STRIDE + column] = *(const uint4 *)&q_vectors[(size_t)(q_tile + row) * DIMS + column];
        *(uint4 *)&sr[row * ROW_STRIDE + column] = *(const uint4 *)&r_vectors[(size_t)(r_tile + row) * DIMS + column];
    }
    if (tid < TILE) {
        norm_q[tid] = q_norms[q_tile + tid];
        root_q[tid] = q_roots[q_tile + tid];
        size_q[tid] = q_sizes[q_tile + tid];
        norm_r[tid] = r_norms[r_tile + tid];
        root_r[tid] = r_roots[r_tile + tid];
        size_r[tid] = r_sizes[r_tile + tid];
    }
    __syncthreads();

    const int lane = tid % 32, warp = tid / 32;
    const int group = lane / 4, in_group = lane % 4;
    const int warp_q = (warp / 4) * 64, warp_r = (warp % 4) * 32;
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

#pragma unroll
    for (int m = 0; m < 4; m++)
#pragma unroll
        for (int n = 0; n < 4; n++)
#pragma unroll
            for (int i = 0; i < 4; i++) {
                const int q = warp_q + m * 16 + group + (i / 2) * 8;
                const int r = warp_r + n * 8 + in_group * 2 + (i % 2);
                const int query = query_base + q_tile + q, row = row_base + r_tile + r;
                if (q_tile + q >= q_count || r_tile + r >= r_count || skipped(triangular, query, row)) {
                    continue;
                }
                consider(acc[m][n][i], query, row, norm_q[q], root_q[q], size_q[q], norm_r[r], root_r[r], size_r[r],
                         theta, ratio, hits, hit_count, hit_capacity);
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
