"""Pure leaves every layer may use: plain data, errors, config, paths, prices, tokenizer, redaction, embeddings.

Nothing here opens the store.
"""
