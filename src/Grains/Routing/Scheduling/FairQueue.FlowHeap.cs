namespace Gateway.Grains.Routing.Scheduling;

// The heap that orders the queue's tenants by counter: the waiting ones (the next to serve on top) and the owing ones.
internal sealed partial class FairQueue
{
    /// <summary>A binary min-heap of tenants by counter, then by when they began to wait (the latest first); each tenant knows its place.</summary>
    private sealed class FlowHeap
    {
        private Flow[] _items = new Flow[8];
        private int _count;

        public Flow? Min => _count > 0 ? _items[0] : null;

        public void Add(Flow flow)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _count * 2);
            }

            _items[_count] = flow;
            flow.HeapIndex = _count++;
            Up(flow.HeapIndex);
        }

        public void Remove(Flow flow)
        {
            var index = flow.HeapIndex;
            var last = _items[--_count];
            _items[_count] = null!;
            flow.HeapIndex = -1;
            if (index < _count)
            {
                _items[index] = last;
                last.HeapIndex = index;
                Update(last);
            }
        }

        /// <summary>Restores the order after <paramref name="flow"/>'s counter changed either way.</summary>
        public void Update(Flow flow)
        {
            if (!Up(flow.HeapIndex))
            {
                Down(flow.HeapIndex);
            }
        }

        /// <summary>Raises every counter below <paramref name="floor"/> to it, then restores the order.</summary>
        public void LiftTo(long floor)
        {
            for (var i = 0; i < _count; i++)
            {
                _items[i].Counter = Math.Max(_items[i].Counter, floor);
            }

            for (var i = _count / 2 - 1; i >= 0; i--)
            {
                Down(i);
            }
        }

        public void Clear()
        {
            for (var i = 0; i < _count; i++)
            {
                _items[i].HeapIndex = -1;
                _items[i] = null!;
            }

            _count = 0;
        }

        private static bool Before(Flow a, Flow b) => a.Counter < b.Counter || a.Counter == b.Counter && a.Joined > b.Joined;

        private bool Up(int index)
        {
            var moved = false;
            while (index > 0)
            {
                var parent = (index - 1) / 2;
                if (!Before(_items[index], _items[parent]))
                {
                    break;
                }

                Swap(index, parent);
                index = parent;
                moved = true;
            }

            return moved;
        }

        private void Down(int index)
        {
            while (true)
            {
                var left = 2 * index + 1;
                if (left >= _count)
                {
                    return;
                }

                var child = left + 1 < _count && Before(_items[left + 1], _items[left]) ? left + 1 : left;
                if (!Before(_items[child], _items[index]))
                {
                    return;
                }

                Swap(index, child);
                index = child;
            }
        }

        private void Swap(int a, int b)
        {
            (_items[a], _items[b]) = (_items[b], _items[a]);
            _items[a].HeapIndex = a;
            _items[b].HeapIndex = b;
        }
    }
}
