"""From records to padded batches: tokenizer loading (native and transformers), encoding, chat
templates, readers of files and pipes, record shapes, batches and the facts of each row.

No masks here: a batch is token ids, attention masks, labels and position ids, as a collator
would hand them over.
"""
