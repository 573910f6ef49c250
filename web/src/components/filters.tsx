import type { ConversationFilters } from '../api/client';

type Props = {
  filters: ConversationFilters;
  search: string;
  numbers: { id: string; label: string }[];
  tags: string[];
  onSearch: (q: string) => void;
  onChange: (patch: Partial<ConversationFilters>) => void;
};

export function Filters({ filters, search, numbers, tags, onSearch, onChange }: Props) {
  // A filter in use stays in its list even when no loaded conversation has it any more.
  const numberOptions = filters.phoneNumberId && !numbers.some((n) => n.id === filters.phoneNumberId) ? [...numbers, { id: filters.phoneNumberId, label: filters.phoneNumberId }] : numbers;
  const tagOptions = filters.tag && !tags.includes(filters.tag) ? [...tags, filters.tag] : tags;
  return (
    <div className="filters" role="search">
      <label className="visually-hidden" htmlFor="search">
        Search contacts and messages
      </label>
      <input id="search" type="search" placeholder="Search name, number or message…" value={search} onChange={(e) => onSearch(e.target.value)} />
      <div className="filter-row">
        <label>
          <span className="visually-hidden">State</span>
          <select aria-label="State filter" value={filters.state ?? ''} onChange={(e) => onChange({ state: e.target.value })}>
            <option value="open">Open</option>
            <option value="pending">Pending</option>
            <option value="resolved">Resolved</option>
            <option value="">Any state</option>
          </select>
        </label>
        <label>
          <span className="visually-hidden">Number</span>
          <select aria-label="Number filter" value={filters.phoneNumberId ?? ''} onChange={(e) => onChange({ phoneNumberId: e.target.value })}>
            <option value="">All numbers</option>
            {numberOptions.map((n) => (
              <option key={n.id} value={n.id}>
                {n.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">Tag</span>
          <select aria-label="Tag filter" value={filters.tag ?? ''} onChange={(e) => onChange({ tag: e.target.value })}>
            <option value="">All tags</option>
            {tagOptions.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
    </div>
  );
}
