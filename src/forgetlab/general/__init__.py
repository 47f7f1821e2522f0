"""General ability: what a fine-tuned model can still do outside its training stream.

    texts = general_texts("auto", model_name, max_texts=200, seed=0)   # TextSet (+ domains)
    nll, tokens = text_losses(backbone, tokenizer, texts.texts, ...)   # per text
    tasks = wordnet_choice_tasks(exclude={...}, n_tasks=2, ...)        # held-out tasks
    correct = choice_correct(backbone, tokenizer, tasks[0], ...)       # per example (0/1)
    run_lm_eval(backbone, tokenizer, ["hellaswag"], ...)               # lm-evaluation-harness

Modules: texts (held-out general text: WordNet test pool, a ladder model's pretraining
held-out part, files), perplexity (per-text next-token NLL), unseen (multiple-choice tasks
never trained, scored by log-likelihood), lm_eval (the optional lm-evaluation-harness).
The `general` observer (`[general]` in a spec) and `forgetlab audit` use them.
"""
