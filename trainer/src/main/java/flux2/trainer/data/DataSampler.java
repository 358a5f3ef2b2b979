package flux2.trainer.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Deterministic batches over image datasets. Each epoch every image appears repeats + 1 times; a bucket (one
 * target size of one dataset) is shuffled and cut into batches, and the batches of all buckets are shuffled, all
 * from (seed, epoch) alone, so a position restored with {@link #restore} continues exactly. Buckets with fewer
 * samples than one optimizer step needs are pruned unless disable_bucket_pruning, which keeps short batches.
 */
public final class DataSampler {
    private record Bucket(ImageDataset dataset, int width, int height, List<ImageEntry> entries) {}

    private final List<Bucket> buckets = new ArrayList<>();
    private final int batchSize, samplesPerStep;
    private final long seed;
    private long epoch;
    private int next;
    private List<Batch> plan;

    /**
     * @param batchSize       train_batch_size
     * @param samplesPerStep  train_batch_size x gradient_accumulation_steps: the fewest samples a bucket must hold
     */
    public DataSampler(List<ImageDataset> datasets, int batchSize, int samplesPerStep, long seed, Consumer<String> log) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
        this.batchSize = batchSize;
        this.samplesPerStep = samplesPerStep;
        this.seed = seed;
        for (ImageDataset ds : datasets) {
            Map<String, List<ImageEntry>> byBucket = new LinkedHashMap<>();
            for (ImageEntry e : ds.entries()) byBucket.computeIfAbsent(e.plan().bucket(), k -> new ArrayList<>()).add(e);
            for (var b : byBucket.entrySet()) {
                int samples = b.getValue().size() * (ds.config().repeats() + 1);
                CropPlan p = b.getValue().getFirst().plan();
                if (samples < samplesPerStep && !ds.config().disableBucketPruning()) {
                    log.accept("dataset '" + ds.config().id() + "': bucket " + b.getKey() + " pruned: " + samples
                            + " samples (with repeats) is fewer than " + samplesPerStep + " per optimizer step (set disable_bucket_pruning to keep it): "
                            + b.getValue().stream().map(ImageEntry::relativePath).toList());
                    continue;
                }
                buckets.add(new Bucket(ds, p.targetWidth(), p.targetHeight(), List.copyOf(b.getValue())));
            }
        }
        if (buckets.isEmpty())
            throw new IllegalStateException("no trainable images: every dataset is empty or all of its buckets were pruned");
        restore(new SamplerState(0, 0));
    }

    /** A sampler with the same batch size, samples per step and seed over other datasets (the same ones with images left out). */
    public DataSampler over(List<ImageDataset> datasets, Consumer<String> log) {
        return new DataSampler(datasets, batchSize, samplesPerStep, seed, log);
    }

    /** The next batch; epochs roll over without end. */
    public Batch next() {
        while (next >= plan.size()) {
            epoch++;
            next = 0;
            plan = planEpoch(epoch);
        }
        return plan.get(next++);
    }

    /** The current position, to be saved with a checkpoint. */
    public SamplerState state() {
        return new SamplerState(epoch, next);
    }

    /** Continues from a position previously returned by {@link #state()}. */
    public void restore(SamplerState s) {
        epoch = s.epoch();
        plan = planEpoch(epoch);
        if (s.nextBatch() < 0 || s.nextBatch() > plan.size())
            throw new IllegalArgumentException("sampler position " + s.nextBatch() + " is outside epoch " + s.epoch() + " (" + plan.size() + " batches): the data changed since the checkpoint");
        next = s.nextBatch();
    }

    /** How many batches one epoch has. */
    public int batchesPerEpoch() {
        return plan.size();
    }

    private List<Batch> planEpoch(long e) {
        List<List<Sample>> groups = new ArrayList<>();
        List<Bucket> owners = new ArrayList<>();
        for (int bi = 0; bi < buckets.size(); bi++) {
            Bucket b = buckets.get(bi);
            SeededRandom r = new SeededRandom(SeededRandom.mix(seed, e, bi));
            List<Sample> samples = new ArrayList<>();
            for (ImageEntry img : b.entries())
                for (int rep = 0; rep <= b.dataset().config().repeats(); rep++)
                    samples.add(new Sample(b.dataset().config().id(), img, img.captions().get(r.nextInt(img.captions().size()))));
            r.shuffle(samples);
            boolean keepShort = b.dataset().config().disableBucketPruning();
            for (int i = 0; i < samples.size(); i += batchSize) {
                if (i + batchSize > samples.size() && !keepShort) break; // the remainder waits for another epoch's shuffle
                groups.add(samples.subList(i, Math.min(samples.size(), i + batchSize)));
                owners.add(b);
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) order.add(i);
        new SeededRandom(SeededRandom.mix(seed, e, -1)).shuffle(order);
        List<Batch> out = new ArrayList<>(order.size());
        for (int i : order) {
            Bucket b = owners.get(i);
            out.add(new Batch(e, out.size(), b.dataset().config().id(), b.width(), b.height(), List.copyOf(groups.get(i))));
        }
        return out;
    }
}
