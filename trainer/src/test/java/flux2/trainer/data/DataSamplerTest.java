package flux2.trainer.data;

import static flux2.trainer.data.DataTestSupport.dataset;
import static flux2.trainer.data.DataTestSupport.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSamplerTest {
    @TempDir Path dir;

    @BeforeEach
    void images() throws IOException {
        for (int i = 0; i < 6; i++) image(dir, "square_" + i + ".png", 64, 64);   // bucket 64x64 at pixel 64
        for (int i = 0; i < 4; i++) image(dir, "wide_" + i + ".png", 128, 64);    // bucket 128x64
        image(dir, "tall_0.png", 64, 128);                                         // a lone 64x128
    }

    ImageDataset scan(int repeats, boolean disablePruning) {
        DatasetConfig d = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 64, ResolutionType.PIXEL, null,
                CaptionStrategy.FILENAME, repeats, disablePruning);
        return DatasetScanner.scan(d, 5, s -> {});
    }

    static List<String> take(DataSampler s, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Batch b = s.next();
            out.add(b.epoch() + ":" + b.width() + "x" + b.height() + ":" + b.samples().stream().map(x -> x.image().relativePath()).toList());
        }
        return out;
    }

    @Test
    void batchesShareOneSizeAndSmallBucketsArePruned() {
        List<String> log = new ArrayList<>();
        DataSampler s = new DataSampler(List.of(scan(0, false)), 2, 2, 42, log::add);
        assertEquals(1, log.size());
        assertTrue(log.getFirst().contains("bucket 64x128 pruned") && log.getFirst().contains("tall_0.png"), log.toString());
        assertEquals(5, s.batchesPerEpoch()); // 6/2 + 4/2
        for (int i = 0; i < 10; i++) {
            Batch b = s.next();
            assertEquals(2, b.samples().size());
            for (Sample x : b.samples()) {
                assertEquals(b.width(), x.image().plan().targetWidth());
                assertEquals(b.height(), x.image().plan().targetHeight());
            }
        }
    }

    @Test
    void repeatsZeroMeansOncePerEpochAndNMeansNPlusOne() {
        for (int repeats : new int[] {0, 2}) {
            DataSampler s = new DataSampler(List.of(scan(repeats, true)), 1, 1, 7, x -> {});
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < s.batchesPerEpoch(); i++)
                for (Sample x : s.next().samples()) seen.merge(x.image().relativePath(), 1, Integer::sum);
            assertEquals(11, seen.size());
            for (int n : seen.values()) assertEquals(repeats + 1, n);
            assertEquals(1, s.next().epoch(), "next epoch starts after the last batch");
        }
    }

    @Test
    void disabledPruningKeepsShortBatches() {
        DataSampler s = new DataSampler(List.of(scan(0, true)), 4, 4, 1, x -> {});
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < s.batchesPerEpoch(); i++) sizes.add(s.next().samples().size());
        assertEquals(11, sizes.stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void sameSeedSameOrderAndRestoreContinuesExactly() {
        List<String> straight = take(new DataSampler(List.of(scan(1, false)), 2, 2, 99, x -> {}), 23);
        assertEquals(straight, take(new DataSampler(List.of(scan(1, false)), 2, 2, 99, x -> {}), 23));
        assertNotEquals(straight, take(new DataSampler(List.of(scan(1, false)), 2, 2, 100, x -> {}), 23));
        assertTrue(straight.getFirst().startsWith("0:") && straight.getLast().startsWith("2:"), straight.toString());

        DataSampler first = new DataSampler(List.of(scan(1, false)), 2, 2, 99, x -> {});
        List<String> resumed = new ArrayList<>(take(first, 13));
        SamplerState saved = first.state();
        DataSampler second = new DataSampler(List.of(scan(1, false)), 2, 2, 99, x -> {});
        second.restore(saved);
        resumed.addAll(take(second, 10));
        assertEquals(straight, resumed);
        assertThrows(IllegalArgumentException.class, () -> second.restore(new SamplerState(0, 1000)));
    }

    @Test
    void everythingPrunedIsAClearError() {
        var e = assertThrows(IllegalStateException.class, () -> new DataSampler(List.of(scan(0, false)), 8, 8, 1, x -> {}));
        assertTrue(e.getMessage().contains("no trainable images"), e.getMessage());
    }
}
