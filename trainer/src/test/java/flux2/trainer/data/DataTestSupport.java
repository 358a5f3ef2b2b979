package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Small generated images and dataset settings for the data tests. */
final class DataTestSupport {
    private DataTestSupport() {}

    static Path image(Path dir, String name, int w, int h) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        String fmt = name.endsWith(".png") ? "png" : "jpg";
        if (!ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), fmt, p.toFile())) throw new IOException("no writer " + fmt);
        return p;
    }

    static DatasetConfig dataset(Path dir, boolean crop, CropStyle style, CropAspect aspect, double resolution, ResolutionType type,
                                 Double minSize, CaptionStrategy captions, int repeats, boolean disablePruning) {
        return new DatasetConfig("ds", DatasetConfig.DatasetType.IMAGE, dir, crop, style, aspect, resolution, type, minSize, null, null,
                dir.resolve("cache"), captions, List.of("sks photo"), false, false, false, repeats, null, false, null, 128, 1, 2, disablePruning);
    }

    static DatasetConfig pixelArea(Path dir, double resolution, boolean crop, CropAspect aspect) {
        return dataset(dir, crop, CropStyle.CENTER, aspect, resolution, ResolutionType.PIXEL_AREA, null, CaptionStrategy.FILENAME, 0, false);
    }
}
