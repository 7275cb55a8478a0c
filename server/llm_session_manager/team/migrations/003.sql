-- v3: placeholder (reserved for another branch; the coordinator drops it at merge)
SELECT 1;
