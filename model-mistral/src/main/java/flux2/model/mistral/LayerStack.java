package flux2.model.mistral;

import flux2.autograd.nn.Module;

/** The {@code layers} container, so decoder layers get the checkpoint names {@code layers.<i>.*}. */
final class LayerStack extends Module {
    MistralDecoderLayer add(int i, MistralDecoderLayer layer) { return child(String.valueOf(i), layer); }
}
