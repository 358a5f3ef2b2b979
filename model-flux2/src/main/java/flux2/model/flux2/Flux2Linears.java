package flux2.model.flux2;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Linear layers of a FLUX.2 transformer by official name, with their input and output sizes, from the config
 * alone: what memory estimates need before a model is built (FLUX.2-dev's weights alone are 64 GB in F32).
 */
public final class Flux2Linears {
    private Flux2Linears() {}

    /** Input and output features of one Linear. */
    public record Size(int in, int out) {
        public long params() { return (long) in * out; }
    }

    /** Every Linear of a transformer of config {@code c}, in the model's registration order. */
    public static Map<String, Size> of(Flux2Config c) {
        int d = c.hiddenSize(), mlp = c.mlpHidden();
        Map<String, Size> out = new LinkedHashMap<>();
        out.put("img_in", new Size(c.inChannels(), d));
        out.put("time_in.in_layer", new Size(TimestepEmbedding.DIM, d));
        out.put("time_in.out_layer", new Size(d, d));
        if (c.guidanceEmbed()) {
            out.put("guidance_in.in_layer", new Size(TimestepEmbedding.DIM, d));
            out.put("guidance_in.out_layer", new Size(d, d));
        }
        out.put("txt_in", new Size(c.contextInDim(), d));
        for (int i = 0; i < c.depth(); i++)
            for (String stream : new String[]{"img", "txt"}) {
                String p = "double_blocks." + i + "." + stream;
                out.put(p + "_attn.qkv", new Size(d, 3 * d));
                out.put(p + "_attn.proj", new Size(d, d));
                out.put(p + "_mlp.0", new Size(d, 2 * mlp));
                out.put(p + "_mlp.2", new Size(mlp, d));
            }
        for (int i = 0; i < c.depthSingleBlocks(); i++) {
            out.put("single_blocks." + i + ".linear1", new Size(d, 3 * d + 2 * mlp));
            out.put("single_blocks." + i + ".linear2", new Size(d + mlp, d));
        }
        out.put("double_stream_modulation_img.lin", new Size(d, 6 * d));
        out.put("double_stream_modulation_txt.lin", new Size(d, 6 * d));
        out.put("single_stream_modulation.lin", new Size(d, 3 * d));
        out.put("final_layer.adaLN_modulation.1", new Size(d, 2 * d));
        out.put("final_layer.linear", new Size(d, c.inChannels()));
        return out;
    }
}
