package flux2.model.flux2;

import static flux2.model.flux2.Modulation.modulate;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** A double-stream block: image and text keep their own weights and meet only inside one joint attention. */
public final class DoubleStreamBlock extends Module {
    private final int heads;
    public final SelfAttention imgAttn, txtAttn;
    public final SwiGluMlp imgMlp, txtMlp;

    public DoubleStreamBlock(Flux2Config c, DType dtype, TensorArena arena) {
        heads = c.numHeads();
        int d = c.hiddenSize();
        imgAttn = child("img_attn", new SelfAttention(d, c.headDim(), dtype, arena));
        imgMlp = child("img_mlp", new SwiGluMlp(d, c.mlpHidden(), dtype, arena));
        txtAttn = child("txt_attn", new SelfAttention(d, c.headDim(), dtype, arena));
        txtMlp = child("txt_mlp", new SwiGluMlp(d, c.mlpHidden(), dtype, arena));
    }

    /**
     * img [B, Li, D], txt [B, Lt, D], modulations [B, 1, 6D] (shift1, scale1, gate1, shift2, scale2, gate2);
     * returns the updated {img, txt}.
     */
    public Var[] forward(Var img, Var txt, Var modImg, Var modTxt, Rope peTxt, Rope peImg) {
        Var[] mi = Modulation.chunks(modImg, 6), mt = Modulation.chunks(modTxt, 6);
        Var[] i = JointAttention.prepare(imgAttn.qkv.forward(modulate(img, mi[0], mi[1])), heads, imgAttn.norm, peImg);
        Var[] t = JointAttention.prepare(txtAttn.qkv.forward(modulate(txt, mt[0], mt[1])), heads, txtAttn.norm, peTxt);
        // text first along the sequence, as the reference concatenates
        Var o = JointAttention.attend(F.concat(2, t[0], i[0]), F.concat(2, t[1], i[1]), F.concat(2, t[2], i[2]));
        int lt = txt.size(1);
        Var oTxt = o.narrow(1, 0, lt), oImg = o.narrow(1, lt, img.size(1));

        img = img.add(mi[2].mul(imgAttn.proj.forward(oImg)));
        img = img.add(mi[5].mul(imgMlp.forward(modulate(img, mi[3], mi[4]))));
        txt = txt.add(mt[2].mul(txtAttn.proj.forward(oTxt)));
        txt = txt.add(mt[5].mul(txtMlp.forward(modulate(txt, mt[3], mt[4]))));
        return new Var[]{img, txt};
    }
}
