package flux2.trainer.train;

import flux2.model.flux2.Latents;
import flux2.model.flux2.TokenIds;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.trainer.cache.Caches;
import flux2.trainer.config.TrainConfig.MultidatasetSampling;
import flux2.trainer.data.Batch;
import flux2.trainer.data.ReferenceSet;
import flux2.trainer.data.Sample;
import flux2.trainer.data.SeededRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference tokens of one training sample: the cached latents of its reference images, packed to tokens and
 * concatenated in reference order, with ids (T = 10 + 10 i, h, w, 0) for reference i, as the
 * official pipeline numbers them. {@code shape} names the reference grids, so that samples whose references have the same sizes can
 * share one forward.
 */
record ReferenceTokens(Tensor tokens, Tensor ids, String shape) {
    /**
     * Per sample of {@code batch}, its reference tokens in the current arena; null when the batch's dataset has no
     * conditioning_data (text-to-image). COMBINED sampling uses every reference set of the dataset, T = 10, 20, 30, ...
     * With RANDOM sampling one reference set is drawn per batch from (seed, epoch, batch index) alone, so a resumed
     * run draws the same; it becomes reference 0 (T = 10).
     */
    static List<ReferenceTokens> of(Batch batch, List<ReferenceSet> sets, Caches caches, MultidatasetSampling sampling, long seed) {
        if (sets.isEmpty()) return null;
        List<ReferenceSet> used = sets;
        if (sampling != MultidatasetSampling.COMBINED && sets.size() > 1) {
            SeededRandom r = new SeededRandom(SeededRandom.mix(seed, 0x636F6E64L, batch.epoch(), batch.index()));
            used = List.of(sets.get(r.nextInt(sets.size())));
        }
        List<ReferenceTokens> out = new ArrayList<>();
        for (Sample s : batch.samples()) {
            Tensor[] tok = new Tensor[used.size()], ids = new Tensor[used.size()];
            StringBuilder shape = new StringBuilder();
            for (int i = 0; i < used.size(); i++) {
                ReferenceSet set = used.get(i);
                Tensor lat = caches.references(set).get(set.of(s.image())).unsqueeze(0); // [1, C, h, w]
                int h = lat.size(2), w = lat.size(3);
                tok[i] = Latents.pack(lat);
                ids[i] = TokenIds.reference(1, i, h, w);
                shape.append(i == 0 ? "" : ",").append(h).append('x').append(w);
            }
            out.add(new ReferenceTokens(Layouts.concat(1, tok), Layouts.concat(1, ids), shape.toString()));
        }
        return out;
    }
}
