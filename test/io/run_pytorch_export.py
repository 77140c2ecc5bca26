# Runs a file written by nabla's PyTorch export on inputs saved by nabla; prints its output as JSON (tests).
# Usage: run_pytorch_export.py MODEL.py INPUTS.safetensors [STATE_OUT.safetensors]
# The inputs file holds input0, input1, ... (integer ones as int64, PyTorch's index dtype). The model
# runs through the file's own load() and read_safetensors(), in eval mode without grad; the tensors
# of its output (nested tuples flattened in order, None left out) are printed with their shapes.
# With STATE_OUT, the model's state dict is written there with the file's save_safetensors().
import importlib.util
import json
import sys

import torch


def main(model_py, inputs_path, state_out=None):
    spec = importlib.util.spec_from_file_location('exported', model_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.load().eval()
    tensors = module.read_safetensors(inputs_path)
    inputs = []
    for i in range(len(tensors)):
        t = tensors[f'input{i}']
        inputs.append(t.long() if not t.is_floating_point() and t.dtype != torch.bool else t)
    with torch.no_grad():
        out = model(*inputs)
    if state_out is not None:
        module.save_safetensors(model.state_dict(), state_out)
    json.dump({'class': type(model).__name__,
               'outputs': [{'shape': list(t.shape), 'data': t.double().flatten().tolist()}
                           for t in flatten(out)]}, sys.stdout)


def flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in flatten(item)]
    return [] if out is None else [out]


if __name__ == '__main__':
    main(*sys.argv[1:])
