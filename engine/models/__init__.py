"""Model runtimes: the embedder, the GGUF model in llama.cpp, model files, prompt caches."""
