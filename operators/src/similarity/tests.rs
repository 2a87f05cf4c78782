//! The joins against a brute-force oracle: the full self-join on every kernel and thread count, the
//! incremental join over random batch sequences (sharded, or on threads), planted threshold cases,
//! restore and refusals — on the CPU, and on a GPU where one is usable (those tests print why they
//! check nothing where there is none).

use super::contract::score;
use super::gpu::{GpuDevice, GpuPath};
use super::planted::{planted, PlantedPair};
use super::*;
use crate::model::VECTOR_DIMS;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn wide_dot(u: &Vector, v: &Vector) -> i128 {
    u.0.iter().zip(v.0.iter()).map(|(&p, &q)| i128::from(p) * i128::from(q)).sum()
}

fn in_band(x: &Entry, y: &Entry, params: JoinParams) -> bool {
    let (small, large) = (x.size.min(y.size), x.size.max(y.size));
    u64::from(small) * 100 >= u64::from(params.size_ratio.percent()) * u64::from(large)
}

/// Every pair of `entries` under `params`, by definition: exact dot products, the test in i128.
fn oracle(entries: &[Entry], params: JoinParams) -> BTreeSet<Pair> {
    let theta = i128::from(params.threshold.percent());
    let mut pairs = BTreeSet::new();
    for (i, x) in entries.iter().enumerate() {
        for y in entries[i + 1..].iter().filter(|y| in_band(x, y, params)) {
            let (d, na, nb) =
                (wide_dot(&x.vector, &y.vector), wide_dot(&x.vector, &x.vector), wide_dot(&y.vector, &y.vector));
            if d > 0 && 10_000 * d * d >= theta * theta * na * nb {
                pairs.insert(Pair::new(x.key, y.key, score(d as i32, na as i32, nb as i32)));
            }
        }
    }
    pairs
}

fn params(theta: u32, ratio: u32) -> JoinParams {
    JoinParams { threshold: Threshold::new(theta).unwrap(), size_ratio: SizeRatio::new(ratio).unwrap() }
}

fn any_params() -> impl Strategy<Value = JoinParams> {
    (prop::sample::select(vec![50u32, 80, 90, 95, 100]), prop::sample::select(vec![0u32, 50, 80]))
        .prop_map(|(theta, ratio)| params(theta, ratio))
}

fn any_kernel() -> impl Strategy<Value = Kernel> {
    prop::sample::select(Kernel::available())
}

/// A few base vectors over the whole int8 range; entries are bases with a few components moved, so
/// that many pairs sit near any threshold.
fn bases() -> impl Strategy<Value = Vec<Vector>> {
    prop::collection::vec(prop::collection::vec(any::<i8>(), VECTOR_DIMS), 1..5)
        .prop_map(|bases| bases.iter().map(|b| Vector::from_slice(b).unwrap()).collect())
}

/// What to make of a base: which base, which components move and by how much, and the size.
type Variant = (usize, Vec<(usize, i8)>, u32);

fn variant() -> impl Strategy<Value = Variant> {
    (0usize..4, prop::collection::vec((0..VECTOR_DIMS, -40i8..=40), 0..8), 1u32..60)
}

fn entry(key: UnitKey, bases: &[Vector], (base, moves, size): &Variant) -> Entry {
    let mut vector = bases[base % bases.len()];
    for &(dim, by) in moves {
        vector.0[dim] = vector.0[dim].saturating_add(by);
    }
    Entry { key, size: *size, vector }
}

/// Sums `deltas` into `state`, failing on a pair that would be counted other than 0 or 1 times.
fn accumulate(state: &mut BTreeMap<Pair, i64>, deltas: &[PairDelta]) -> Result<(), TestCaseError> {
    for window in deltas.windows(2) {
        prop_assert!(window[0] < window[1], "deltas are sorted and consolidated by sign");
    }
    for &(pair, diff) in deltas {
        prop_assert!(diff != 0 && pair.a < pair.b);
        let count = state.entry(pair).or_insert(0);
        *count += diff;
        prop_assert!(*count == 0 || *count == 1, "{pair:?} counted {count} times");
        if *count == 0 {
            state.remove(&pair);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_full_join_equals_the_oracle_on_every_kernel(
        bases in bases(),
        variants in prop::collection::vec(variant(), 0..600),
        params in any_params(),
    ) {
        let entries: Vec<Entry> = variants.iter().enumerate().map(|(key, v)| entry(key as UnitKey * 7 - 900, &bases, v)).collect();
        let expected: Vec<Pair> = oracle(&entries, params).into_iter().collect();
        for kernel in Kernel::available() {
            let (pairs, stats) = join_all(kernel, params, &entries).unwrap();
            prop_assert_eq!(&pairs, &expected, "kernel {}", kernel.name());
            let band = entries.iter().enumerate().map(|(i, x)| entries[i + 1..].iter().filter(|y| in_band(x, y, params)).count());
            prop_assert_eq!(stats.compared, band.sum::<usize>() as u64, "exactly the pairs in the size band are compared");
        }
        let (_, one_thread) = join_all(Kernel::detect(), params, &entries).unwrap();
        for threads in 1..=3 {
            let (parts, stats) =
                join_threads(Kernel::detect(), params, &entries, threads, |acc: &mut Vec<Pair>, p| acc.push(p)).unwrap();
            let mut pairs = parts.concat();
            pairs.sort_unstable();
            prop_assert_eq!(&pairs, &expected, "{} threads", threads);
            prop_assert_eq!(stats, one_thread, "the threads split the comparisons");
        }
    }

    #[test]
    fn incremental_batches_sum_to_the_join_of_the_final_set(
        bases in bases(),
        batches in batches(),
        shards in 1u32..4,
        params in any_params(),
        kernel in any_kernel(),
    ) {
        sum_of_batches_is_the_final_join(|shard| Box::new(CpuJoin::new(params, shard, kernel)), &bases, &batches, shards, params)?;
        sum_of_batches_is_the_final_join(|_| Box::new(ThreadedJoin::new(params, shards, kernel)), &bases, &batches, 1, params)?;
    }
}

/// Batches of intents: a key and its new variant, or `None` to remove it.
type Intents = Vec<Vec<(i64, Option<Variant>)>>;

fn batches() -> impl Strategy<Value = Intents> {
    prop::collection::vec(prop::collection::vec((0i64..300, prop::option::weighted(0.7, variant())), 0..300), 1..6)
}

/// Applies `batches` to `shards` joins made by `make`, checking after each that the summed deltas
/// are the oracle's join of the resident set.
fn sum_of_batches_is_the_final_join(
    make: impl Fn(Shard) -> Box<dyn SimilarityJoin>,
    bases: &[Vector],
    batches: &Intents,
    shards: u32,
    params: JoinParams,
) -> Result<(), TestCaseError> {
    let mut joins: Vec<Box<dyn SimilarityJoin>> = (0..shards).map(|i| make(Shard::new(i, shards).unwrap())).collect();
    let mut resident: BTreeMap<UnitKey, Entry> = BTreeMap::new();
    let mut state = BTreeMap::new();
    for intents in batches {
        let mut batch = Batch::default();
        let mut seen = BTreeSet::new();
        for (key, intent) in intents.iter().filter(|(key, _)| seen.insert(*key)) {
            if let Some(old) = resident.remove(key) {
                batch.removed.push(old);
            }
            if let Some(variant) = intent {
                let new = entry(*key, bases, variant);
                batch.inserted.push(new);
                resident.insert(*key, new);
            }
        }
        for join in &mut joins {
            accumulate(&mut state, &join.apply(&batch).unwrap())?;
        }
        let final_set: Vec<Entry> = resident.values().copied().collect();
        let state_pairs: BTreeSet<Pair> = state.keys().copied().collect();
        prop_assert_eq!(state_pairs, oracle(&final_set, params));
        prop_assert_eq!(joins.iter().map(|j| j.resident()).sum::<usize>(), resident.len());
    }
    Ok(())
}

/// The planted vectors of `seed` at `params`' threshold as entries: `a` (key 0), `at` (1), `below`
/// (2) and, where there is one, `above` (3), all of size 10.
fn planted_entries(params: JoinParams, seed: u64) -> (PlantedPair, Vec<Entry>) {
    let p = planted(params.threshold, seed);
    let mut vectors = vec![p.a, p.at, p.below];
    vectors.extend(p.above);
    let entries =
        vectors.iter().enumerate().map(|(key, &vector)| Entry { key: key as UnitKey, size: 10, vector }).collect();
    (p, entries)
}

#[test]
fn planted_threshold_cases_are_decided_exactly_by_every_join() {
    for percent in [1, 37, 50, 64, 80, 90, 99, 100] {
        let params = params(percent, 50);
        for seed in 0..3 {
            let (p, entries) = planted_entries(params, seed);
            let expected = oracle(&entries, params);
            let with_a: BTreeSet<UnitKey> = expected.iter().filter(|pair| pair.a == 0).map(|pair| pair.b).collect();
            let mut wanted = BTreeSet::from([1]);
            wanted.extend(p.above.map(|_| 3));
            assert_eq!(with_a, wanted, "θ = {percent}: a pairs with at and above, not below");
            for kernel in Kernel::available() {
                let (pairs, _) = join_all(kernel, params, &entries).unwrap();
                assert_eq!(pairs, expected.iter().copied().collect::<Vec<_>>(), "θ = {percent}, {}", kernel.name());
                let mut join = CpuJoin::new(params, Shard::whole(), kernel);
                join.apply(&Batch { removed: vec![], inserted: entries[..1].to_vec() }).unwrap();
                let deltas = join.apply(&Batch { removed: vec![], inserted: entries[1..].to_vec() }).unwrap();
                assert!(deltas.iter().all(|&(_, diff)| diff == 1));
                let added: BTreeSet<Pair> = deltas.iter().map(|&(pair, _)| pair).collect();
                assert_eq!(added, expected, "θ = {percent}, {}", kernel.name());
            }
        }
    }
}

#[test]
fn the_size_ratio_is_decided_exactly_at_its_bound() {
    let vector = planted(Threshold::default(), 0).a;
    let sized = |key, size| Entry { key, size, vector };
    let entries = [sized(0, 50), sized(1, 100), sized(2, 101), sized(3, 49)];
    let (pairs, _) = join_all(Kernel::detect(), params(90, 50), &entries).unwrap();
    let keys: Vec<(UnitKey, UnitKey)> = pairs.iter().map(|p| (p.a, p.b)).collect();
    // 50/100 and 49/50 are in the band (100·min ≥ 50·max); 50/101, 49/100 and 49/101 are not.
    assert_eq!(keys, [(0, 1), (0, 3), (1, 2)]);
}

#[test]
fn restoring_a_state_emits_nothing_and_continues_like_the_original() {
    let params = params(90, 50);
    let p = planted(params.threshold, 5);
    let first = [Entry { key: 1, size: 20, vector: p.a }, Entry { key: 2, size: 20, vector: p.at }];
    let next = Batch { removed: vec![first[1]], inserted: vec![Entry { key: 3, size: 25, vector: p.above.unwrap() }] };
    let mut original = CpuJoin::new(params, Shard::whole(), Kernel::detect());
    assert_eq!(original.apply(&Batch { removed: vec![], inserted: first.to_vec() }).unwrap().len(), 1);
    let mut restored = CpuJoin::new(params, Shard::whole(), Kernel::portable());
    restored.restore(&first).unwrap();
    assert_eq!(restored.resident(), 2);
    let deltas = original.apply(&next).unwrap();
    assert_eq!(restored.apply(&next).unwrap(), deltas);
    assert_eq!(deltas.iter().map(|&(pair, diff)| (pair.a, pair.b, diff)).collect::<Vec<_>>(), [(1, 2, -1), (1, 3, 1)]);
}

/// A unit removed and inserted with the same size and vector (its other data changed) keeps its
/// pairs: each comes out retracted and inserted, on one thread or several.
#[test]
fn a_unit_changed_in_all_but_its_vector_keeps_its_pairs_retracted_and_inserted() {
    let p = planted(Threshold::default(), 3);
    let entries = [Entry { key: 1, size: 20, vector: p.a }, Entry { key: 2, size: 20, vector: p.at }];
    let unchanged = Batch { removed: vec![entries[1]], inserted: vec![entries[1]] };
    let moved = Entry { key: 3, size: 20, vector: p.at };
    let both = Batch { removed: vec![entries[0], entries[1]], inserted: vec![entries[0], entries[1], moved] };
    let joins: [Box<dyn SimilarityJoin>; 2] = [
        Box::new(CpuJoin::new(JoinParams::default(), Shard::whole(), Kernel::detect())),
        Box::new(ThreadedJoin::new(JoinParams::default(), 3, Kernel::portable())),
    ];
    for mut join in joins {
        join.apply(&Batch { removed: vec![], inserted: entries.to_vec() }).unwrap();
        let keys =
            |deltas: Vec<PairDelta>| deltas.iter().map(|&(pair, diff)| (pair.a, pair.b, diff)).collect::<Vec<_>>();
        assert_eq!(keys(join.apply(&unchanged).unwrap()), [(1, 2, -1), (1, 2, 1)]);
        assert_eq!(keys(join.apply(&both).unwrap()), [(1, 2, -1), (1, 2, 1), (1, 3, 1), (2, 3, 1)]);
        assert_eq!(join.resident(), 3);
    }
}

#[test]
fn refused_batches_leave_the_join_as_it_was() {
    let p = planted(Threshold::default(), 9);
    let one = Entry { key: 1, size: 10, vector: p.a };
    let two = Entry { key: 2, size: 10, vector: p.at };
    let mut join = CpuJoin::new(JoinParams::default(), Shard::whole(), Kernel::detect());
    join.apply(&Batch { removed: vec![], inserted: vec![one] }).unwrap();
    let refusals = [
        (Batch { removed: vec![], inserted: vec![two, two] }, JoinError::DuplicateKey(2)),
        (Batch { removed: vec![two], inserted: vec![] }, JoinError::NotResident(2)),
        (Batch { removed: vec![Entry { size: 11, ..one }], inserted: vec![] }, JoinError::RemovedMismatch(1)),
        (Batch { removed: vec![], inserted: vec![two, one] }, JoinError::AlreadyResident(1)),
    ];
    for (batch, error) in refusals {
        assert_eq!(join.apply(&batch), Err(error));
        assert_eq!(join.resident(), 1);
    }
    assert_eq!(join_all(Kernel::portable(), JoinParams::default(), &[one, one]), Err(JoinError::DuplicateKey(1)));
    let mut threaded = ThreadedJoin::new(JoinParams::default(), 2, Kernel::detect());
    threaded.restore(&[one]).unwrap();
    assert_eq!(threaded.restore(&[one]), Err(JoinError::AlreadyResident(1)));
    let half_refused = Batch { removed: vec![], inserted: vec![Entry { key: 4, ..two }, one] };
    assert_eq!(threaded.apply(&half_refused), Err(JoinError::AlreadyResident(1)));
    assert_eq!(threaded.resident(), 1, "no shard applied the refused batch");
    // A shard that does not hold key 1 cannot check its removal; it joins it with its residents.
    let mut other = CpuJoin::new(JoinParams::default(), Shard::new(0, 2).unwrap(), Kernel::detect());
    assert_eq!(other.apply(&Batch { removed: vec![], inserted: vec![two] }).unwrap().len(), 0);
    assert_eq!(other.apply(&Batch { removed: vec![one], inserted: vec![] }).unwrap().len(), 1);
}

/// The usable GPU of this machine with the kernels of `path`, or `None` with the reason printed:
/// the GPU tests below then check nothing and say so.
fn gpu(path: GpuPath) -> Option<Arc<GpuDevice>> {
    match GpuDevice::open(0, path) {
        Ok(device) => Some(Arc::new(device)),
        Err(why) => {
            eprintln!("SKIPPED: no usable GPU for the {} path: {why}", path.name());
            None
        }
    }
}

fn gpu_join(device: &Arc<GpuDevice>, params: JoinParams, shard: Shard, memory_mib: u64) -> GpuJoin {
    GpuJoin::new(Arc::clone(device), params, shard, memory_mib).unwrap()
}

#[test]
fn gpu_batches_sum_to_the_join_of_the_final_set_on_both_paths() {
    for path in [GpuPath::Tensor, GpuPath::Cublas] {
        let Some(device) = gpu(path) else { continue };
        let mut runner =
            proptest::test_runner::TestRunner::new(ProptestConfig { cases: 12, ..ProptestConfig::default() });
        let cases = (bases(), batches(), 1u32..4, any_params());
        runner
            .run(&cases, |(bases, batches, shards, params)| {
                let make = |shard| Box::new(gpu_join(&device, params, shard, 256)) as Box<dyn SimilarityJoin>;
                sum_of_batches_is_the_final_join(make, &bases, &batches, shards, params)
            })
            .unwrap_or_else(|failure| panic!("{} path: {failure}", path.name()));
    }
}

#[test]
fn gpu_planted_threshold_cases_are_decided_exactly() {
    for path in [GpuPath::Tensor, GpuPath::Cublas] {
        let Some(device) = gpu(path) else { continue };
        for percent in [1, 37, 50, 64, 80, 90, 99, 100] {
            let params = params(percent, 50);
            let (_, entries) = planted_entries(params, u64::from(percent));
            let mut join = gpu_join(&device, params, Shard::whole(), 128);
            join.apply(&Batch { removed: vec![], inserted: entries[..1].to_vec() }).unwrap();
            let against_residents = join.apply(&Batch { removed: vec![], inserted: entries[1..].to_vec() }).unwrap();
            let added: BTreeSet<Pair> = against_residents.iter().map(|&(pair, _)| pair).collect();
            assert_eq!(added, oracle(&entries, params), "θ = {percent}, {} path", path.name());
            let mut within = gpu_join(&device, params, Shard::whole(), 128);
            let deltas = within.apply(&Batch { removed: vec![], inserted: entries.clone() }).unwrap();
            assert_eq!(deltas.iter().map(|&(pair, _)| pair).collect::<BTreeSet<_>>(), oracle(&entries, params));
        }
    }
}

/// 3,000 vectors, half of them near one base: many tiles, over a million pairs (past the first
/// hit buffer, so a launch is run again), as a full self-join and as a first batch, then a batch
/// changing a tenth of them.
#[test]
fn gpu_join_equals_the_cpu_join_past_a_tile_and_a_hit_buffer() {
    for path in [GpuPath::Tensor, GpuPath::Cublas] {
        let Some(device) = gpu(path) else { continue };
        let base: Vector = planted(Threshold::default(), 3).a;
        let entries: Vec<Entry> = (0..3000)
            .map(|i: i64| {
                let mut vector = if i % 2 == 0 { base } else { planted(Threshold::default(), i as u64).at };
                vector.0[(i % 128) as usize] = vector.0[(i % 128) as usize].saturating_add((i % 7) as i8 - 3);
                Entry { key: i * 13 - 5000, size: 40 + (i % 30) as u32, vector }
            })
            .collect();
        let params = params(90, 50);
        let mut cpu = CpuJoin::new(params, Shard::whole(), Kernel::detect());
        let mut gpu = gpu_join(&device, params, Shard::whole(), 1024);
        let first = Batch { removed: vec![], inserted: entries.clone() };
        let expected = cpu.apply(&first).unwrap();
        assert!(expected.len() > 1 << 20, "{} pairs", expected.len());
        let (all, _) = join_all(Kernel::detect(), params, &entries).unwrap();
        assert_eq!(gpu.join_all(&entries).unwrap(), all, "{} path", path.name());
        assert_eq!(gpu.apply(&first).unwrap(), expected, "{} path", path.name());
        let changed: Vec<Entry> = entries.iter().step_by(10).map(|e| Entry { size: e.size + 1, ..*e }).collect();
        let second = Batch { removed: entries.iter().step_by(10).copied().collect(), inserted: changed };
        assert_eq!(gpu.apply(&second).unwrap(), cpu.apply(&second).unwrap(), "{} path", path.name());
    }
}

#[test]
fn gpu_join_refuses_past_its_memory_and_keeps_its_state() {
    let Some(device) = gpu(GpuPath::Tensor) else { return };
    let mut join = gpu_join(&device, JoinParams::default(), Shard::whole(), 1);
    let entries: Vec<Entry> =
        (0..10_000).map(|key| Entry { key, size: 10, vector: planted(Threshold::default(), key as u64).a }).collect();
    let refusal = join.apply(&Batch { removed: vec![], inserted: entries }).unwrap_err();
    assert!(matches!(refusal, JoinError::DeviceMemory { limit_mib: 1, .. }), "{refusal}");
    assert_eq!(join.resident(), 0);
}
