package flux2.trainer.train;

import flux2.model.flux2.Latents;
import flux2.model.flux2.TokenIds;
import flux2.model.image.ImageFiles;
import flux2.model.image.Lanczos;
import flux2.model.image.RgbImage;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The reference tokens of a validation prompt's images, prepared as the official pipelines do at inference: an image
 * above 1024 x 1024 pixels of area is scaled down keeping its aspect, both sides are floored to multiples of the VAE's
 * pixels per token, then it is encoded; reference i gets ids with T = 10 + 10 i.
 */
final class ValidationReferences {
    static final double MAX_AREA = 1024.0 * 1024.0;

    private ValidationReferences() {}

    /** {tokens [1, Lr, C], ids [1, Lr, 4]} in the current arena, or null for no images. */
    static Tensor[] encode(AutoEncoder vae, List<Path> images) throws IOException {
        if (images.isEmpty()) return null;
        int f = vae.config().pixelsPerLatent();
        Tensor[] tok = new Tensor[images.size()], ids = new Tensor[images.size()];
        for (int i = 0; i < images.size(); i++) {
            RgbImage img = ImageFiles.read(images.get(i));
            double scale = Math.min(1, Math.sqrt(MAX_AREA / ((double) img.width() * img.height())));
            int w = Math.max(f, (int) (img.width() * scale) / f * f), h = Math.max(f, (int) (img.height() * scale) / f * f);
            if (w != img.width() || h != img.height()) img = Lanczos.resize(img, w, h);
            Tensor lat = vae.encode(img.toTensor()); // [1, C, h/f, w/f]
            tok[i] = Latents.pack(lat);
            ids[i] = TokenIds.reference(1, i, lat.size(2), lat.size(3));
        }
        return new Tensor[]{Layouts.concat(1, tok), Layouts.concat(1, ids)};
    }
}
