package flux2.model.flux2;

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
     * img [B, Li, D] with its rotary table pe, txt [B, Lt, D] with peCtx, modulations [B, 1, 6D] (attention
     * and MLP (shift, scale, gate) of each stream); returns the updated {img, txt}.
     */
    public Var[] forward(Var img, Var txt, Rope pe, Rope peCtx, Var modImg, Var modTxt) {
        ModulationOut[] mi = Modulation.split(modImg, 2), mt = Modulation.split(modTxt, 2);
        ModulationOut imgMod1 = mi[0], imgMod2 = mi[1], txtMod1 = mt[0], txtMod2 = mt[1];
        Var[] i = JointAttention.prepare(imgAttn.qkv.forward(imgMod1.modulate(img)), heads, imgAttn.norm, pe);
        Var[] t = JointAttention.prepare(txtAttn.qkv.forward(txtMod1.modulate(txt)), heads, txtAttn.norm, peCtx);
        // text first along the sequence, as the reference concatenates
        Var attn = JointAttention.attend(F.concat(2, t[0], i[0]), F.concat(2, t[1], i[1]), F.concat(2, t[2], i[2]));
        int lt = txt.size(1);
        Var txtAttnOut = attn.narrow(1, 0, lt), imgAttnOut = attn.narrow(1, lt, img.size(1));

        img = img.add(imgMod1.gate().mul(imgAttn.proj.forward(imgAttnOut)));
        img = img.add(imgMod2.gate().mul(imgMlp.forward(imgMod2.modulate(img))));
        txt = txt.add(txtMod1.gate().mul(txtAttn.proj.forward(txtAttnOut)));
        txt = txt.add(txtMod2.gate().mul(txtMlp.forward(txtMod2.modulate(txt))));
        return new Var[]{img, txt};
    }
}
