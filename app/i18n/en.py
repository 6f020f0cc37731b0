"""The interface's strings in English (the default language). Same keys and {placeholders} as app/i18n/zh.py.

Values are markdown where the page shows them through markdown (st.caption, st.info, labels): user text is
escaped with app.safe.plain() by the caller before it fills a placeholder. Pieces that are joined into one
sentence carry their own leading space or punctuation, so each language joins them its own way.
"""

from __future__ import annotations

STRINGS: dict[str, str] = {
    # -- The app and its navigation (streamlit_app.py) ----------------------------------------------------------
    "app.page_title": "Multi-Head Subspace Explorer",
    "nav.attention": "Attention maps",
    "nav.compare": "Head comparison",
    "nav.qkv": "Q/K/V vectors",
    "nav.walkthrough": "How attention is computed",
    "nav.subspaces": "Representation subspaces",
    "nav.export": "Export",
    # -- The sidebar (app/sidebar.py) ---------------------------------------------------------------------------
    "sidebar.language": "Language · 语言",
    "sidebar.title": "Multi-Head Subspace Explorer",
    "sidebar.model": "Model",
    "sidebar.source.bundled": "Bundled: {model}",
    "sidebar.source.folder": "Local folder",
    "sidebar.source.hub": "Hugging Face hub id (needs the network once)",
    "sidebar.folder": "Folder",
    "sidebar.hub_id": "Hub id",
    "sidebar.folder_placeholder": "/path/to/folder saved with save_pretrained()",
    "sidebar.hub_placeholder": "e.g. gpt2",
    "sidebar.loading": "Loading {model} …",
    "sidebar.model_caption": "**{name}** ({family}): {layers} layers × {heads} heads × d_head {d_head}",
    "sidebar.kv_heads": ", {n} KV heads",
    "sidebar.shape.encoder": ", bidirectional",
    "sidebar.shape.decoder": ", causal",
    "sidebar.shape.encoder-decoder": ", encoder–decoder",
    "sidebar.example": "Example",
    "sidebar.example_help": "A text to start from; edit it freely below. Examples marked (Chinese) need a model that "
    "reads Chinese.",
    "sidebar.chinese_note": "This example is Chinese. It needs a model that reads Chinese: load the folder of a "
    "Chinese or multilingual model (e.g. bert-base-chinese saved with save_pretrained()) under Model → Local folder.",
    "sidebar.chinese_bundled": " The bundled {model} reads English only: most Chinese characters are unknown to it "
    "and all become the same [UNK] token (他, 苹 and 果 among them), so its heads cannot tell those characters apart.",
    "sidebar.text": "Text",
    "sidebar.target": "Target (the decoder's text)",
    "sidebar.target_help": "The encoder reads the text above; the decoder is fed this text, teacher-forced as in "
    "training (its start token, then these tokens shifted right). For a translation model, type the translation.",
    "sidebar.generate": "Write the target with the model",
    "sidebar.generate_help": "The model's own LM head continues the text on the decoder's side (greedy, at most "
    "{n} tokens); the result fills the target above, where you can edit it.",
    "sidebar.generating": "Writing the target with the model's LM head …",
    "sidebar.token_limit": "Token limit",
    "sidebar.token_limit_help": "Longer texts are cut to this many tokens. This model was trained on texts of up to "
    "{trained} tokens (its position limit: {limit}).",
    "sidebar.need_target": "{model} is an encoder–decoder model: type the decoder's text as the target.",
    "sidebar.running": "Running the model and capturing every head …",
    "sidebar.attention": "Attention",
    "sidebar.attention_help": "Encoder self-attention: the text's tokens. Decoder self-attention: the target's "
    "tokens, each seeing only earlier ones. Cross-attention: Q from the decoder, K = V from the encoder.",
    "sidebar.run_tokens": "{n} tokens in this run.",
    "sidebar.run_tokens_pair": "{encoder} encoder tokens, {decoder} decoder tokens.",
    "sidebar.trained_length": "{n} tokens is more than the {trained} that {model} was trained on. The maps are "
    "still exactly what the model computes, but beyond its training length heads can behave differently (a "
    "previous-token head may jump hundreds of positions ahead), so head roles and patterns here may not be the "
    "ones it shows on the texts it learned from.",
    "sidebar.truncated": "The text has {total} tokens; only the first {n} are shown. Raise the token limit in the "
    "sidebar to see more.",
    # The sidebar's example texts: their names in the list (the texts themselves are the same in every language).
    "example.apple": "apple: the fruit or the brand?",
    "example.it": "it: the animal or the street?",
    "example.he": "he: the jungler or the top laner?",
    "example.thinking": "Thinking Machines (X1, X2)",
    "example.ta": "他 (Chinese): jungler or top?",
    "example.pingguo": "苹果 (Chinese): fruit or brand?",
    # -- Sentences every page shares (app/i18n/phrases.py; English as app/state.py writes them) -------------------
    "need.run": "Pick a model and type a text in the sidebar to {purpose}.",
    "need.bundle": "Pick a model in the sidebar to {purpose}.",
    "summary.line": "{name} · {tokens} · {layers} layers × {heads} heads",
    "summary.tokens": "{n} tokens",
    "summary.cross_tokens": "{queries} queries × {keys} keys",
    "summary.kind": " · {kind}: {meaning}",
    "kind.encoder": "encoder self-attention",
    "kind.decoder": "decoder self-attention (masked)",
    "kind.cross": "cross-attention (decoder → encoder)",
    "kind_meaning.encoder": "the text's tokens attend to each other, both ways",
    "kind_meaning.decoder": "each target token attends to itself and the target tokens before it",
    "kind_meaning.cross": "queries from the decoder's target tokens, keys and values from the encoder's text",
    "weights.note": "{model} ({family}) has exact attention maps on every page, but no weight views: {reason}. "
    "{what} needs W_Q, W_K, W_V and W_O it can read, so it is not shown for this model.",
    "weights.unknown_layout": "its attention weights are laid out in a way the explorer does not know",
    "common.layer": "Layer",
    "common.head": "Head",
    "common.layers": "Layers",
    "common.heads": "Heads",
    "common.query_token": "Query token",
    # -- Attention maps (pages/attention.py) --------------------------------------------------------------------
    "walk.purpose": "see attention computed step by step",  # the rest of "walk." is at the end
    "attn.purpose": "see its attention maps",
    "attn.title": "Attention maps",
    "attn.causal": " · causal: keys after each query are masked (grey)",
    "attn.one_head": "One head",
    "attn.colour_by": "Colour by",
    "attn.value.attn": "weight (after softmax)",
    "attn.value.scores": "raw score q·k/√d",
    "attn.read_weights": "Each row is a query token and shows how it spreads its attention over the key tokens "
    "across the top; ",
    "attn.rows_sum_1": "rows sum to 1.",
    "attn.rows_sink": "each row's shares of the tokens sum to less than 1: this family adds an attention sink, a "
    "learned logit per head that takes its own share of every row (kept beside the map as run.sink).",
    "attn.read_scores": "Each row is a query token and shows its raw score q·k/√d with every key token across the "
    "top, before softmax: scores can be any size and sign (blue above 0, red below), and softmax of a row gives "
    "that row's weights.",
    "attn.masked": " Grey cells are keys the model's mask hides from that query.",
    "attn.hover": " Hover a cell for its weight and raw score",
    "attn.pooled": "; with more than {limit} tokens, cells are blocks of tokens coloured by their largest {what}",
    "attn.what.attn": "weight",
    "attn.what.scores": "score",
    "attn.pooled_csv": " (its CSV lists those blocks: every cell would be {cells:,} rows; the export page writes "
    "them all, and the window below lists its cells).",
    "attn.end": ".",
    "attn.window": "**An exact window: {n} queries × {n} keys**",
    "attn.first_query": "First query token",
    "attn.first_key": "First key token",
    "attn.window_caption": "The same head, unpooled: every cell is one query token's weight on one key token, "
    "computed for just these rows. Move the window to any part of the map above (grey: keys the mask hides).",
    "attn.every_head": "Every head",
    "attn.colour_scale": "Colour scale",
    "attn.scale.head": "each head's own maximum",
    "attn.scale.global": "the same 0–1 scale for all",
    "attn.download": "Download {file}",
    "attn.overview_sampled": (
        " With {n} tokens, each pixel row is one of {rows} evenly spaced query tokens (its keys still max-pooled), so "
        "the image computes {rows} rows of each map, not {n}."
    ),
    "attn.overview_caption": "All layers (rows) × heads (columns), each a small copy of the map above: queries "
    "down, keys across, darker = more attention (square-root scale so faint patterns show). Diagonal lines are "
    "previous/next-token heads; a dark first column is a head resting on the first token ([CLS] or BOS).",
    "attn.one_token": "One token, every head",
    "attn.scope": "Heads",
    "attn.scope.all": "every layer",
    "attn.scope.layer": "layer {layer} only",
    "attn.token_caption": "Each row is one head; the colour shows how much “{token}” attends to each key token in "
    "that head. Heads that agree form vertical stripes; grey cells are masked.",
    # -- Head comparison (pages/compare.py) ---------------------------------------------------------------------
    "compare.purpose": "compare its attention heads",
    "compare.title": "Head comparison",
    "compare.summary": "{summary} = {n} heads",
    "compare.side": "Heads side by side",
    "compare.how_many": "How many heads",
    "compare.side_caption": "The chosen heads' maps (queries down, keys across) share one colour scale, so the same "
    "blue means the same weight in every panel. Heads that look alike here will sit close together in the map of "
    "all heads below.",
    "compare.two_texts": "The same head on two texts",
    "compare.reset_b": "Reset text B to a one-word swap",
    "compare.text_b": "Text B (text A is the sidebar's text)",
    "compare.run_b": "Run text B through the model",
    "compare.run_b_help": (
        "Text B runs through the model like the sidebar's text: with {n} tokens that is a second forward pass as "
        "long as the first, so it starts only when you ask."
    ),
    "compare.running_b": "Running the model on text B …",
    "compare.diff_caption": "{head} on text A and on text B, on one blue scale",
    "compare.diff_below": ", and below, B − A cell by cell (red: B attends more, blue: less). ",
    "compare.diff_hover": "; hover a cell for its weight.",
    "compare.all": "All heads compared",
    "compare.comparing": "Comparing every pair of heads …",
    "compare.sim_caption": "Every head against every other: 1 − Jensen–Shannon distance between their attention "
    "rows, averaged over the query tokens (bright = the two heads attend alike). Heads are ordered by hierarchical "
    "clustering, so bright blocks on the diagonal are families of heads that do the same thing.",
    "compare.sim_by_layer": " With {n} heads, each cell is the mean over the heads of two layers (diagonal: between "
    "different heads of one layer); the map below still shows every head.",
    "compare.sim_sampled": " Sampled: averaged over {rows} evenly spaced query tokens of {n} (each row exact), to "
    "stay fast with this many heads and tokens; the largest standard error this causes is ±{error:.4f} in "
    "distance. Head roles below use the same rows.",
    "compare.mds_caption": "Each dot is a head, placed so that distances between dots approximate their "
    "Jensen–Shannon distances (classical MDS), coloured by layer as in Clark et al. (2019), “What does BERT look "
    "at?”. Hover for its role.",
    "compare.roles": "Head roles",
    "compare.col.name": "head",
    "compare.col.layer": "layer",
    "compare.col.head": "head #",
    "compare.col.label": "role",
    "compare.col.entropy_bits": "entropy (bits)",
    "compare.col.entropy_norm": "entropy ÷ uniform",
    "compare.col.mean_distance": "mean distance",
    "compare.col.to_special": "to [CLS]/[SEP]/BOS",
    "compare.col.to_first": "to first token",
    "compare.col.to_self": "to self",
    "compare.col.to_previous": "to previous",
    "compare.col.to_next": "to next",
    "compare.col.top_special": "top special",
    "compare.roles_caption": "One row per head; click a column to sort. Shares are the mean attention per query "
    "token; entropy is in bits (0 = all on one key); mean distance is Σ weight·|query − key| in tokens. Labels: "
    "{rules}",
    "compare.caveat": " Caveat: these roles are measured on {n} tokens, more than the {trained} this model was "
    "trained on; beyond that length heads can change what they do (a previous-token head may jump far ahead), so a "
    "label describes this text, not the head on the texts it learned from.",
    # -- Q/K/V vectors (pages/qkv.py) ---------------------------------------------------------------------------
    "qkv.purpose": "see its query, key and value vectors",
    "qkv.title": "Q/K/V vectors",
    "qkv.summary": "{summary} · d_head {d_head} · one head, one query token: where its attention weights come from",
    "qkv.show_all": "Show all {n} keys (otherwise the {top} with the largest weights)",
    "qkv.q_and_k": "q of “{token}” and the k of every key",
    "qkv.q_title": "q vector of token {i} “{token}”, {head}",
    "qkv.q_caption": "The query vector q = x·W_Q of this token in {head}: {d} numbers, red positive, blue negative.",
    "qkv.rotary": " Rotary position encoding is already applied.",
    "qkv.neuron_caption": "Left: each key's k vector. Middle: q ∘ k, q times k dimension by dimension; red cells "
    "push the score up, blue cells pull it down. Right: each middle row added up, which is the dot product q·k",
    "qkv.neuron_causal": "; grey keys are masked (causal).",
    "qkv.end": ".",
    "qkv.top_keys": " Showing the {n} keys with the largest weights, in text order.",
    "qkv.scale_softmax": "÷√d_k, then softmax",
    "qkv.softmax_caption": "Left: q·k × {scale:.4g}, the model's own scale (1/√{d} = {inv:.4g}), the scores. Right: "
    "softmax of the scores, the attention weights, which {sums}. Rebuilt here from q and k, they match the model's "
    "own scores to {gap_scores:.1e} and weights to {gap_weights:.1e}.",
    "qkv.sum_1": "add up to 1 over all keys",
    "qkv.sum_sink": "add up to less than 1 over all keys (this family's attention sink takes the rest)",
    "qkv.v_section": "Σ weight · v: the head's output for “{token}”",
    "qkv.v_title": "v vector of each key ({head})",
    "qkv.v_x": "dimension of the head",
    "qkv.v_y": "key (its weight)",
    "qkv.v_caption": "Each key's value vector v = x·W_V in {head}, one row per key ({d} numbers, red positive, blue "
    "negative); the number beside each key is the weight the query gives it. The scores decide only how much of "
    "each v the query takes: what it takes is v.",
    "qkv.v_top": " Showing the {n} of {total} keys with the largest weights, in text order; together they carry "
    "{share:.1%} of this query's attention.",
    "qkv.context_title": "context vector of token {i} “{token}”, {head}",
    "qkv.context_label": "context",
    "qkv.context_caption": "The context vector of “{token}” in this head: every key's v times its weight, added up "
    "over all {n} keys (Σ weight·v), {d} numbers. It is the model's own (run.context); Σ weight·v worked out here "
    "from the weights above matches it to {gap:.1e}. Put side by side with the other heads' context vectors and "
    "multiplied by W_O, it becomes the attention layer's output for this token.",
    "qkv.subspaces": "Heads as different subspaces",
    "qkv.overlap_what": "The comparison of W_Q, W_K, W_V and W_O subspaces",
    "qkv.projection": "Projection",
    "qkv.layer_rows": "Layer (rows)",
    "qkv.layer_cols": "Layer (columns)",
    "qkv.overlap_caption": "Each head's W_{which} block spans a {d_head}-dimensional subspace of the {d_model}-"
    "dimensional model space; a cell is the mean cos² of the principal angles between two heads' subspaces (1 = the "
    "same subspace, 0 = orthogonal). Random subspaces would give about {chance:.3f}; {pairs} pairs here average "
    "{mean:.3f}.",
    "qkv.pairs_other": "other",
    "qkv.pairs_these": "these",
    "qkv.gqa": " With grouped-query attention W_K and W_V have {n} heads.",
    # -- Representation subspaces (pages/subspaces.py) ----------------------------------------------------------
    "subspaces.purpose": "see which of its heads separate the senses of a word",
    "subspaces.title": "Representation subspaces",
    "subspaces.intro": "Every head projects each token into its own small space (here d_head = {d_head} of the "
    "model's {d_model} dimensions). Feed the model sentences that use one word in different senses (apple the "
    "fruit, Apple the brand) and see which heads keep the senses apart.",
    "subspaces.intro_encdec": " This encoder–decoder model reads each sentence with its encoder: the heads here "
    "are the encoder's self-attention heads.",
    "subspaces.sentences": "Sentences",
    "subspaces.source.builtin": "Built-in set",
    "subspaces.source.typed": "Type your own",
    "subspaces.source.upload": "Upload a CSV",
    "subspaces.builtin_set": "Built-in set",
    "subspaces.show_sentences": "Show the sentences",
    "subspaces.col.sense": "sense",
    "subspaces.col.sentence": "sentence",
    "subspaces.download_set": "Download this set as CSV (the upload format)",
    "subspaces.target": "Target word",
    "subspaces.target_placeholder": "e.g. bank",
    "subspaces.sense_default": "sense {n}",
    "subspaces.sense": "Sense {n}",
    "subspaces.sense_sentences": "Sentences for sense {n}, one a line",
    "subspaces.sense_placeholder": "The river burst its banks.\nWe sat on the grassy bank.",
    "subspaces.add_sense": "Add a sense",
    "subspaces.remove_sense": "Remove the last sense",
    "subspaces.typed_info": "Type the target word and, for every sense, two or more sentences that use it (one a "
    "line).",
    "subspaces.upload": "CSV with the columns sentence, sense, target (one row a sentence, one target word)",
    "subspaces.upload_info": "Upload a CSV file with a header row sentence,sense,target. A built-in set shows the "
    "format: Built-in set → Show the sentences → Download this set as CSV.",
    "subspaces.space": "Space",
    "space.q": "query (q)",
    "space.k": "key (k)",
    "space.v": "value (v)",
    "space.context": "head output (context = attn @ v)",
    "subspaces.shuffles": "Label shuffles (permutation test)",
    "subspaces.running": "Running {n} sentences and scoring every head …",
    "subspaces.vs": " vs ",
    "subspaces.summary": "**{target}** · {senses} · space **{space}** · best head **L{layer} H{head}**: separation "
    "{score:.2f} (p = {p:.3f}) · whole hidden state at best {hidden_score:.2f} ({hidden}) · {significant} of "
    "{total} heads significant",
    "subspaces.heatmap_caption": "Each cell is one head; its colour is the **separation**: the silhouette of the "
    "senses under cosine distance between the target's {space} vectors in that head (+1: every sentence lies much "
    "nearer its own sense than any other; 0: no structure; below 0: mixed). “n.s.” marks heads that are **not "
    "significant**: p-value from {shuffles} shuffles of the sense labels, adjusted for testing all {total} heads "
    "(Benjamini–Hochberg, {level:.0%}). Click a cell to look inside that head.",
    "subspaces.gqa": "This model shares each key/value head among {n} query heads (grouped-query attention), so "
    "heads of one group have the same k and v vectors and scores.",
    "subspaces.baseline_caption": "Bars: the same score on the model's whole hidden state ({d_model} dimensions) "
    "after each layer. Diamonds: the best single head of that layer. A diamond right of its bar means one head's "
    "small subspace separates the senses better than the full representation.",
    "subspaces.inside": "Inside one head",
    "subspaces.head_line": "L{layer} H{head}: separation **{score:.3f}**, p = {p:.4f}, adjusted p = {q:.4f}",
    "subspaces.not_significant": " (not significant)",
    "subspaces.scatter_title": "“{target}” in {head} ({space})",
    "subspaces.scatter_caption": "One dot per sentence: the target's {space} vector in this head, scaled to length "
    "1 (as the cosine score sees it) and projected onto its two main directions (PCA). Separate clumps of colour "
    "are what a high score means. Hover a dot to read its sentence.",
    "subspaces.best_heads": "**Best heads**",
    "subspaces.col.layer": "layer",
    "subspaces.col.head": "head",
    "subspaces.col.score": "separation",
    "subspaces.col.p_value": "p-value",
    "subspaces.col.q_value": "adjusted p",
    "subspaces.col.significant": "significant",
    "subspaces.ranking_caption": "The ten heads with the highest separation in this space. A p-value is (1 + "
    "shuffles that scored at least as high) / {n}: the smallest possible, {floor:.4f}, means no shuffle of the "
    "labels did; {at_floor} of these ten reach it, and a larger one counts the shuffles that scored as high.",
    "subspaces.attends": "What the target attends to",
    "subspaces.words": "Words",
    "subspaces.rank.distinctive": "that set this sense apart",
    "subspaces.rank.weight": "with the most attention",
    "subspaces.include_special": "Include [CLS]/[SEP] and punctuation",
    "subspaces.attends_title": "Where “{target}” looks in {head}, per sense",
    "subspaces.attends_caption": "For each sense, the words this head's attention goes to from the target: the "
    "attention averaged over that sense's sentences (a sentence without the word counts 0; the target's own pieces "
    "are left out). “Set this sense apart” subtracts the same average over the other senses' sentences, so common "
    "words (the, a) count only by the extra attention they get in this sense. Attention is the same whichever "
    "space is chosen above.",
    # -- Export (pages/export.py) -------------------------------------------------------------------------------
    "export.purpose": "export its attention",
    "export.title": "Export",
    "export.summary": "{summary}. Everything goes into one zip; run.npz always holds the whole run.",
    "export.formats": "Formats",
    "format.png": "PNG heatmaps (one per head, plus an all-heads grid)",
    "format.svg": "SVG heatmaps (one per head: text as vector, the map as one embedded image)",
    "format.csv": "attention.csv (long form)",
    "format.json": "run.json (metadata; weights when small)",
    "format.npz": "run.npz (every array, float32)",
    "export.col.format": "format",
    "export.col.files": "files",
    "export.col.size": "estimated size",
    "export.heads_one": "{n} head selected",
    "export.heads_many": "{n} heads selected",
    "export.size_caption": "{heads} · about **{total}** before zip compression ({files} files). run.json carries the "
    "weights only up to {limit:,} numbers. Heatmaps (PNG, and SVG with vector text) are drawn straight from the map "
    "at up to 640 pixels a side, long texts max-pooled: about 0.1 s a head.",
    "export.too_big": "About {total}: more than the {budget} this machine can spare for one zip. Choose fewer heads "
    "or formats, or use the command line below, which writes the files to a folder one at a time.",
    "export.big": "About {total}: the browser holds the whole zip in memory. Choose fewer heads or formats, or use "
    "the command line below, which writes the files to a folder one at a time.",
    "export.build": "Build zip",
    "export.starting": "Starting …",
    "export.done": "Done: {size} zipped.",
    "export.download": "Download zip ({size})",
    "export.changed": "The selection changed since the last zip: build it again.",
    "export.cli": "From the command line",
    "export.cli_caption": "Save the text to text.txt first. The command writes the same files into the folder export/.",
    # -- "walk.": How attention is computed (pages/walkthrough.py) ----------------------------------------------
    "walk.title": "How attention is computed",
    "walk.intro": ". Our own multi-head attention, written from the equations, is loaded with the weights of one "
    "pretrained layer and fed that layer's real input. Every number below is computed by it; the model's own "
    "attention is only used to check the result.",
    "walk.weights_what": "This walkthrough",
    "walk.causal": "Causal mask",
    "walk.causal_help": "Hide every key after the query (a decoder's masked self-attention).",
    "walk.scoring": "Compare query and key by",
    "walk.scoring.dot": "scaled dot product q·k/√d_k (what the model was trained with)",
    "walk.scoring.additive": "additive: vᵀ·tanh(W₁q + W₂k)",
    "walk.scoring.cosine": "cosine similarity × scale",
    "walk.first_row": "First query row shown",
    "walk.first_row_help": "This text has {n} query tokens: the matrices show {size} rows at a time, each computed "
    "against every key with the model's own mask and positions.",
    "walk.first_key": "First key shown",
    "walk.first_key_help": "This text has {n} keys: the score and weight matrices show {size} columns at a time (and "
    "K and V those keys' rows); softmax is always over every key.",
    "walk.untrained": "The model was trained with the scaled dot product. With this scoring, W_Q, W_K, W_V and W_O "
    "are still the pretrained ones, but the scoring itself is not pretrained{detail} The maps show how the formula "
    "changes the shares, not what the model does.",
    "walk.untrained.additive": " (W₁, W₂ and v are random, seeded).",
    "walk.untrained.cosine": " (its scale is fixed at √d_k).",
    "walk.check": "Largest |difference| from the model's own attention, layer {layer}, all {heads} heads{rows}",
    "walk.check_rows": ", query rows {a}–{b}",
    "walk.check_help": "0 or about 1e-6 means the from-scratch module computes exactly what the pretrained layer "
    "computes.",
    "walk.no_check": "The check against the model's own attention is shown with the model's own mask and the dot "
    "product; with this mask or scoring the module computes something the model never did.",
    # What a window shows, in captions: "Shown: rows 0–31 of 100, columns 0–31 of 384 (tokens × dimensions …)."
    "walk.shown": "Shown: {rows}, {cols}{of}.",
    "walk.span.rows.all": "all {total} rows",
    "walk.span.rows.part": "rows {a}–{b} of {total}",
    "walk.span.columns.all": "all {total} columns",
    "walk.span.columns.part": "columns {a}–{b} of {total}",
    "walk.span.keys.all": "all {total} keys",
    "walk.span.keys.part": "keys {a}–{b} of {total}",
    "walk.of.tokens_dims": " (tokens × dimensions of d_model)",
    "walk.of.queries_keys": " (queries × keys)",
    "walk.of.queries_dk": " (query tokens × d_k)",
    "walk.of.cross": " ({queries} queries × {keys} keys)",
    "walk.side.decoder": "the decoder",
    "walk.side.encoder": "the encoder",
    "walk.side.text_a": "text A",
    "walk.side.text_b": "text B",
    "walk.end": ".",
    "walk.e_title": "0 · The input E",
    "walk.e_intro": "Each token arrives as a vector of d_model = {d_model} numbers: layer {layer}'s input",
    "walk.e_after_norm": " after its layer norm.",
    "walk.e_first_dim": "First dimension of E shown",
    "walk.e_caption": " Rows are tokens, columns dimensions of the model's vector; red is positive, blue negative.",
    "walk.qkv_title": "1 · Project: Q = E·W_Q, K = E·W_K, V = E·W_V",
    "walk.qkv_intro": "Three trained matrices of shape (d_model, d_k) = ({d_model}, {d_k}) for this head map every "
    "token to a **query** (what it is looking for), a **key** (what it offers to be found by) and a **value** (what "
    "it passes on).",
    "walk.qkv_caption": "Q: {rows} (query tokens); K and V: {keys} (the keys of steps 2–5); all {d_k} columns (d_k). "
    "One row per token, one column per dimension of {head}'s subspace.",
    "walk.scores_title": "2 · Score: {score}  ·  3 · Scale: {scale}  ·  4 · Mask",
    "walk.scale.standard": "÷√d_k = × {scale:.4f}",
    "walk.scale.dot": "× {scale:.4g} (this model's scale)",
    "walk.scale.cosine": "× {scale:.3g} (a fixed temperature)",
    "walk.scale.additive": "none (additive scores are not scaled)",
    "walk.scores_read": " Top: how well each query (row) matches each key (column)",
    "walk.scores_scaled": ", before step 3. Below: the same pattern, its values × {scale:.4g}: compare the two "
    "legends (the scores' standard deviation in {head} is {before:.2f} before, {after:.2f} after).",
    "walk.scores_additive": ". Below: the same scores, masked (additive scores have no step 3).",
    "walk.scores_masked": " Grey cells are masked (−∞), so softmax gives them exactly 0.",
    "walk.scores_none_masked": " No cell shown here is masked: every query sees every key shown.",
    "walk.softmax_title": "5 · Softmax: scores → shares that sum to 1",
    "walk.sums_all": "Row sums of the rows shown: {lo:.6f} … {hi:.6f}.",
    "walk.sums_part": "Each row sums to {lo:.6f} … {hi:.6f} over all {n} keys; the {k} keys shown hold {part_lo:.4f} "
    "… {part_hi:.4f} of it (move “{label}” to see the rest).",
    "walk.sink": " This family adds an attention sink: a learned logit per head joins every row's softmax and takes "
    "its own share, so the shares of the real tokens sum to less than 1.",
    "walk.softmax_caption": "{window} Row i is the softmax of row i of the masked scores above: how query i shares "
    "its attention. {sums}{sink}",
    "walk.follow": "**Follow one query token** through the scaling and the weighted sum of V:",
    "walk.why_title": "**Why divide by √d_k?**",
    "walk.why_additive": "Additive scoring has no ÷√d_k. Its score vᵀ·tanh(W₁q + W₂k) passes W₁q + W₂k through "
    "tanh, which squeezes every entry into (−1, 1), so the score is bounded by the learned vector v instead of "
    "growing with the size of q and k as a dot product does; where a smaller scale helps, training shrinks v. "
    "Choose the scaled dot product above to see what ÷√d_k does.",
    "walk.why_no_scale": "This model does not divide its scores: its scale is {scale:.4g}. Families such as T5 fold "
    "1/√d_k into the initialisation of W_Q instead, so there is no step 3 to leave out here.",
    "walk.entropy_with": "Entropy with {factor}",
    "walk.entropy_without": "Entropy without",
    "walk.entropy_mean": "Mean over layer {layer}'s heads and {n} query rows",
    "walk.nats": "{h:.3f} nats",
    "walk.versus": "{a:.2f} vs {b:.2f}",
    "walk.why_dot": "A dot product of two d_k-dimensional vectors whose entries are independent, with mean 0 and "
    "variance 1, has a standard deviation of √d_k = {root:.2f}, so scores grow with d_k, and softmax of large "
    "scores is nearly one-hot, where its gradients vanish. ",
    "walk.why_dot_standard": "Dividing by √d_k brings their spread back near 1. ",
    "walk.why_dot_other": "This model multiplies by {scale:.4g} instead of 1/√d_k = {inv:.4g}. ",
    "walk.why_dot_here": "Here, without step 3 the query {token} has entropy {unscaled:.3f} nats instead of "
    "{scaled:.3f} ({sharp}).",
    "walk.sharp": "largest weight {unscaled:.2f} instead of {scaled:.2f}",
    "walk.one_hot": ": nearly one-hot",
    "walk.why_cosine": "Cosine similarity lies between −1 and 1 whatever d_k is, so it does not grow with d_k and "
    "needs no ÷√d_k; instead it is multiplied by a fixed temperature, {scale:.3g} (√d_k here, not learned), so that "
    "softmax can prefer some keys. Without it the query {token} has entropy {unscaled:.3f} nats instead of "
    "{scaled:.3f}; equal shares over its keys would give {uniform:.3f}{end}",
    "walk.flat": ": without the temperature it is nearly uniform.",
    "walk.bars_note": " Bars: {keys}; entropies over every key.",
    "walk.scaling_caption": "The same scores through softmax with and without step 3. {why}{keys}",
    "walk.sum_title": "6 · Weighted sum of V",
    "walk.sum_context": "context",  # the words of the formula context_i = Σ_j weight_ij v_j
    "walk.sum_weight": "weight",
    "walk.sum_for": "For {token} (its largest weights): ",
    "walk.context_caption": " Each token's new vector for {head}: a mix of all {n} value vectors, in the shares of "
    "step 5.",
    "walk.out_title": "7 · Concat the heads  ·  8 · W_O",
    "walk.out_intro": "All {heads} heads' contexts side by side give a (tokens × {width}) matrix: head h fills "
    "columns {d_k}·h to {d_k}·h + {last}. W_O, ({width} × {d_model}), mixes the heads' subspaces back into the "
    "model's space.",
    "walk.out_first_dim": "First dimension of concat and output shown",
    "walk.out_dims_help": "Steps of {step} dimensions (one head of the concat has {d_k}).",
    "walk.out_caption": "Layer {layer}. Shown: {rows}; concat {cat} (heads {heads}); output {out}. Top: the heads' "
    "contexts side by side; below: after W_O, what the layer adds to each token.",
    "walk.cross_title": "Encoder–decoder (cross) attention",
    "walk.cross_real": "In this model the decoder's **queries** look at the encoder's **keys and values**: below, "
    "the from-scratch module loaded with the weights of cross-attention layer {layer}, Q computed from the "
    "decoder's tokens and K = V from the encoder's output. Choose *Cross-attention* in the sidebar to follow every "
    "step of it.",
    "walk.cross_real_caption": "Each row is a decoder token sharing its attention over the encoder's tokens; the grid "
    "need not be square. Largest |difference| from the model's own cross-attention in this layer: {diff:.1e}.",
    "walk.cross_none": "In a translation model the decoder's **queries** look at the encoder's **keys and values**. "
    "This model has no decoder, so here the queries come from text B and the keys and values from the sidebar text "
    "(A), through the same pretrained W_Q, W_K, W_V.",
    "walk.text_b": "Text B (queries)",
    "walk.type_b": "Type a text B to see cross-attention.",
    "walk.cross_first_row": "First cross query row shown",
    "walk.cross_first_key": "First cross key shown",
    "walk.cross_sums": " Each row sums to {lo:.6f} … {hi:.6f} over all {n} keys{part}.",
    "walk.cross_part": "; the keys shown hold {lo:.4f} … {hi:.4f} of it",
    "walk.cross_b_caption": "Each row is a token of text B sharing its attention over the tokens of text A; the grid "
    "need not be square, because queries and keys come from different sequences.",
    "walk.pool_title": "Attention pooling: one query over a whole sequence",
    "walk.pool_intro": "Attention also pools a sequence into one vector, as a recommender pools a user's viewing "
    "history: the **query** is the whole sequence's state, and every item's own state is both **key** and "
    "**value**. Here the states are the model's token vectors after layer {layer}; the query is their mean (the "
    "sentence embedding this model was trained to give).",
    "walk.pool_first": "First pooled token shown",
    "walk.pool_window": "Shown: bars {a}–{b} of the {n} pooled tokens. ",
    "walk.pool_caption": "Each bar is one token's share of the pooled vector (special tokens left out); a plain mean "
    "would give every token {uniform:.3f}. The largest share goes to {token} ({share:.3f}); cos(attention-pooled, "
    "mean-pooled) = {cos:.3f}.",
}
