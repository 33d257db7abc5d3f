// Datasets: see DESIGN.md §2 and §5 ("real parts").
// Real on-disk formats, one loader each: ImageNet-style class folders (ImageFolderDataset),
// Visual Wake Words person/non_person folders (VisualWakeWordsDataset), Speech Commands v2
// (SpeechCommandsDataset + MFCC), IDX (Fashion-MNIST) and .npy (lfw_subset). The bundled proxies
// (Proxies/) are written in the same formats, so the same loaders read both.
//
// Documented exception to STYLE.md B2 rule 3: the proxy *preparation* code (ProxyWriter,
// prepareProxies) writes files into the data cache. Everything else here only reads.
