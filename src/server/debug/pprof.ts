/**
 * V8 profiles (from `node:inspector`) -> pprof protobuf (profile.proto), the format
 * `pprof` and `go tool pprof` read. Encoding is done by the `pprof-format` package; this
 * file only maps V8's call trees onto pprof's sample/location/function tables.
 *
 * Mapping (both profile kinds):
 * - one pprof Function per distinct (name, url, line, column) of a V8 callFrame; name ""
 *   becomes "(anonymous)"; filename is the script URL (file:///... or node:internal/...).
 * - one pprof Location per V8 call-tree node (so a function reached through two different
 *   call paths has two locations, each with one Line), address 0, no Mapping: JS has none.
 * - one Sample per call-tree node that has self cost; its location list is leaf first
 *   (pprof's order), "(root)" left out.
 * - every sample carries a string label `thread` (e.g. "main", "shard-0") so several
 *   threads' profiles can be merged into one file and split again with
 *   `pprof -tagfocus=thread=shard-0`.
 *
 * CPU: sample types [samples/count, cpu/nanoseconds]; period type cpu/nanoseconds with the
 * sampling interval. A sample's cpu value is the sum of the time deltas V8 recorded for it
 * (DevTools convention: sample i lasts until sample i+1; the last one gets the mean).
 *
 * Heap (V8 sampling heap profiler): sample types [objects/count, space/bytes]. `objects` is
 * the number of sampled allocations still live at that node (unscaled: each is one sample
 * taken every ~samplingInterval bytes); `space` is V8's own scaled estimate of live bytes
 * (`selfSize`). Default sample type: space. Profiles taken with `collected` (objects the GC
 * freed are kept: bytes allocated during the window) are [alloc_objects/count,
 * alloc_space/bytes] instead, default alloc_space, as Go names them.
 *
 * Output is gzip-compressed, as Go's net/http/pprof serves it (`pprof` accepts both).
 * Cost: O(nodes + samples) time and memory; a 30 s CPU profile is a few thousand nodes.
 */
import { gzipSync } from 'node:zlib';
import type { Profiler, Runtime } from 'node:inspector';
import {
  Function as PFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType,
} from 'pprof-format';

/** One thread's V8 CPU profile (Profiler.stop() result), tagged with its thread name. */
export interface ThreadCpuProfile {
  thread: string;
  profile: Profiler.Profile;
  /** Sampling interval the profile was taken with, microseconds (for pprof's period). */
  intervalUs: number;
}

/** Sampling heap profile as the inspector returns it (the @types/node 20 typing lacks the
 *  node ids and the `samples` list that V8 has sent since Node 12). */
export interface SamplingHeapProfileNode {
  callFrame: Runtime.CallFrame;
  selfSize: number;
  id: number;
  children: SamplingHeapProfileNode[];
}
export interface SamplingHeapProfile {
  head: SamplingHeapProfileNode;
  samples?: Array<{ size: number; nodeId: number; ordinal: number }>;
}

export interface ThreadHeapProfile {
  thread: string;
  profile: SamplingHeapProfile;
  /** Sampling interval in bytes (pprof's period for heap profiles). */
  samplingIntervalBytes: number;
  /** Taken with freed objects kept (allocated bytes, not live ones). Default false. */
  collected?: boolean;
}

type CallFrame = Runtime.CallFrame;

/** Shared tables while building one pprof Profile. */
class Builder {
  readonly strings = new StringTable();
  readonly functions: PFunction[] = [];
  readonly locations: Location[] = [];
  readonly samples: Sample[] = [];
  private fnIds = new Map<string, number>();

  str(s: string): number {
    return this.strings.dedup(s);
  }

  functionId(cf: CallFrame): number {
    const name = cf.functionName === '' ? '(anonymous)' : cf.functionName;
    const key = `${name}\u0000${cf.url}\u0000${cf.lineNumber}\u0000${cf.columnNumber}`;
    let id = this.fnIds.get(key);
    if (id === undefined) {
      id = this.functions.length + 1; // pprof ids are 1-based; 0 means "none"
      this.fnIds.set(key, id);
      this.functions.push(new PFunction({
        id,
        name: this.str(name),
        systemName: this.str(name),
        filename: this.str(cf.url || '(no file)'),
        // V8 lines are 0-based, pprof's 1-based; -1 (unknown) becomes 0 (unknown).
        startLine: cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0,
      }));
    }
    return id;
  }

  location(cf: CallFrame): number {
    const id = this.locations.length + 1;
    this.locations.push(new Location({
      id,
      line: [new Line({ functionId: this.functionId(cf), line: cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0 })],
    }));
    return id;
  }

  threadLabel(thread: string): Label {
    return new Label({ key: this.str('thread'), str: this.str(thread) });
  }
}

interface FlatNode {
  locationId: number; // 0 for (root)
  parent: number; // V8 node id of the parent, -1 for the root
}

/**
 * Flattens a V8 call tree (node list with child ids) into leaf-first stacks.
 * Returns a function giving the location-id stack of a node id.
 */
function stacksOf(
  b: Builder,
  nodes: Iterable<{ id: number; callFrame: CallFrame; children?: number[] }>,
): (id: number) => number[] {
  const flat = new Map<number, FlatNode>();
  const parentOf = new Map<number, number>();
  const all = [...nodes];
  for (const n of all) for (const c of n.children ?? []) parentOf.set(c, n.id);
  for (const n of all) {
    const isRoot = n.callFrame.functionName === '(root)' && !parentOf.has(n.id);
    flat.set(n.id, { locationId: isRoot ? 0 : b.location(n.callFrame), parent: parentOf.get(n.id) ?? -1 });
  }
  const memo = new Map<number, number[]>();
  return (id: number) => {
    const cached = memo.get(id);
    if (cached) return cached;
    const stack: number[] = [];
    for (let cur = flat.get(id); cur; cur = cur.parent >= 0 ? flat.get(cur.parent) : undefined) {
      if (cur.locationId !== 0) stack.push(cur.locationId);
    }
    memo.set(id, stack);
    return stack;
  };
}

/** Flattens an inspector heap-profile tree (nested children objects) into a node list. */
function flattenHeapTree(head: SamplingHeapProfileNode):
  Array<{ id: number; callFrame: CallFrame; children: number[]; selfSize: number }> {
  const out: Array<{ id: number; callFrame: CallFrame; children: number[]; selfSize: number }> = [];
  const todo = [head];
  while (todo.length > 0) {
    const n = todo.pop()!;
    out.push({ id: n.id, callFrame: n.callFrame, children: n.children.map((c) => c.id), selfSize: n.selfSize });
    for (const c of n.children) todo.push(c);
  }
  return out;
}

/** Encodes and gzips a finished Profile. */
function finish(p: Profile): Buffer {
  return gzipSync(p.encode());
}

/**
 * Converts one or more threads' V8 CPU profiles into one gzipped pprof protobuf.
 * Throws on a structurally broken profile (sample naming an unknown node).
 */
export function cpuProfilesToPprof(threads: ThreadCpuProfile[]): Buffer {
  return finish(cpuProfilesToPprofProfile(threads));
}

/** As cpuProfilesToPprof, but returns the unencoded Profile (tests, merging). */
export function cpuProfilesToPprofProfile(threads: ThreadCpuProfile[]): Profile {
  const b = new Builder();
  const samplesType = new ValueType({ type: b.str('samples'), unit: b.str('count') });
  const cpuType = new ValueType({ type: b.str('cpu'), unit: b.str('nanoseconds') });
  let startUs = Infinity;
  let endUs = -Infinity;
  let intervalUs = 0;

  for (const { thread, profile, intervalUs: iv } of threads) {
    intervalUs = Math.max(intervalUs, iv);
    startUs = Math.min(startUs, profile.startTime);
    endUs = Math.max(endUs, profile.endTime);
    const stack = stacksOf(b, profile.nodes);
    const known = new Set(profile.nodes.map((n) => n.id));
    const hits = new Map<number, number>();
    const timeUs = new Map<number, number>();
    const ids = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    const meanDelta = ids.length > 0 ? (profile.endTime - profile.startTime) / ids.length : 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!known.has(id)) throw new Error(`cpu profile of ${thread}: sample names unknown node ${id}`);
      hits.set(id, (hits.get(id) ?? 0) + 1);
      const d = i + 1 < deltas.length ? deltas[i + 1]! : meanDelta;
      timeUs.set(id, (timeUs.get(id) ?? 0) + Math.max(0, d));
    }
    if (ids.length === 0) {
      // Profiles without a sample list (old format): use hitCount and the interval.
      for (const n of profile.nodes) {
        if (n.hitCount) {
          hits.set(n.id, n.hitCount);
          timeUs.set(n.id, n.hitCount * iv);
        }
      }
    }
    const label = b.threadLabel(thread);
    for (const [id, count] of hits) {
      b.samples.push(new Sample({
        locationId: stack(id),
        value: [count, Math.round((timeUs.get(id) ?? 0) * 1000)],
        label: [label],
      }));
    }
  }
  if (!Number.isFinite(startUs)) startUs = endUs = Date.now() * 1000;
  return new Profile({
    sampleType: [samplesType, cpuType],
    sample: b.samples,
    location: b.locations,
    function: b.functions,
    stringTable: b.strings,
    // V8's profile timestamps are monotonic microseconds, not wall clock: report "now minus
    // duration" as the wall-clock start.
    timeNanos: BigInt(Date.now() - Math.round((endUs - startUs) / 1000)) * 1_000_000n,
    durationNanos: Math.round((endUs - startUs) * 1000),
    periodType: new ValueType({ type: b.str('cpu'), unit: b.str('nanoseconds') }),
    period: Math.round(intervalUs * 1000),
  });
}

/** Converts sampling heap profiles (HeapProfiler.getSamplingProfile) to gzipped pprof. */
export function heapProfilesToPprof(threads: ThreadHeapProfile[]): Buffer {
  return finish(heapProfilesToPprofProfile(threads));
}

export function heapProfilesToPprofProfile(threads: ThreadHeapProfile[]): Profile {
  const b = new Builder();
  const collected = threads.some((t) => t.collected === true);
  if (collected && threads.some((t) => t.collected !== true)) {
    throw new Error('cannot merge live (objects/space) and allocated (alloc_*) heap profiles in one pprof file');
  }
  const prefix = collected ? 'alloc_' : '';
  const objectsType = new ValueType({ type: b.str(`${prefix}objects`), unit: b.str('count') });
  const spaceType = new ValueType({ type: b.str(`${prefix}space`), unit: b.str('bytes') });
  let period = 0;
  for (const { thread, profile, samplingIntervalBytes } of threads) {
    period = Math.max(period, samplingIntervalBytes);
    const nodes = flattenHeapTree(profile.head);
    const stack = stacksOf(b, nodes);
    const objects = new Map<number, number>();
    for (const s of profile.samples ?? []) objects.set(s.nodeId, (objects.get(s.nodeId) ?? 0) + 1);
    const label = b.threadLabel(thread);
    for (const n of nodes) {
      const count = objects.get(n.id) ?? 0;
      if (n.selfSize <= 0 && count === 0) continue;
      b.samples.push(new Sample({ locationId: stack(n.id), value: [count, Math.round(n.selfSize)], label: [label] }));
    }
  }
  return new Profile({
    sampleType: [objectsType, spaceType],
    sample: b.samples,
    location: b.locations,
    function: b.functions,
    stringTable: b.strings,
    timeNanos: BigInt(Date.now()) * 1_000_000n,
    periodType: new ValueType({ type: b.str(`${prefix}space`), unit: b.str('bytes') }),
    period,
    defaultSampleType: b.str(`${prefix}space`),
  });
}
