'use strict';

// Build DOM nodes from data without ever parsing strings as HTML.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'className') element.className = value;
    else if (name.startsWith('data')) element.setAttribute(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

// Makes `container`'s children `nodes`, keyed by data-key: a child whose key and content are
// unchanged stays where it is (a focused button keeps its focus); a changed one is replaced,
// and focus inside it moves to the control at the same place in its replacement.
export function updateChildren(container, nodes) {
  const old = new Map([...container.children].map((child) => [child.dataset.key, child]));
  const wanted = nodes.map((node) => {
    const kept = old.get(node.dataset.key);
    return kept && kept.isEqualNode(node) ? kept : node;
  });
  const focused = document.activeElement;
  const focusPath = wanted.map((node) => {
    const previous = old.get(node.dataset.key);
    return previous && previous !== node && previous.contains(focused) ? pathTo(previous, focused) : null;
  });
  for (const child of [...container.children]) if (!wanted.includes(child)) child.remove();
  for (const [index, node] of wanted.entries()) {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] ?? null);
    if (focusPath[index]) followPath(node, focusPath[index])?.focus();
  }
}

const pathTo = (root, element) => {
  const path = [];
  for (let node = element; node !== root; node = node.parentElement) path.unshift([...node.parentElement.children].indexOf(node));
  return path;
};

const followPath = (root, path) => path.reduce((node, index) => node?.children[index], root);
